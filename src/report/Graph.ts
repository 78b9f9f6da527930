/**
 * The graph of a run as the report draws it: each node's depth (its longest chain of upstream
 * nodes), the critical path (the chain of nodes whose stored wall times add up to the most: what
 * bounds the run however many cores it has), the costliest nodes, and an inline SVG drawing of the
 * whole graph, nodes coloured by status. Pure functions over plain data: no store, no DOM.
 */

/** What the report knows of one node. */
export interface ReportNode {
  readonly id: string
  readonly stage: string
  /** the node's upstream node ids */
  readonly needs: ReadonlyArray<string>
  /** `cached`, `ran`, `failed`, `to run`, ...: what the run did or what a run would do */
  readonly status: string
  /** wall time of the record in use, ms (absent when not computed) */
  readonly wallMs?: number | undefined
}

/** Each node's depth: 0 for a node with no upstream, else one more than its deepest upstream. */
export const depths = (nodes: ReadonlyArray<ReportNode>): Map<string, number> => {
  const depth = new Map<string, number>()
  // nodes come in a topological order (the graph's); an unknown upstream counts as depth -1
  for (const n of nodes) depth.set(n.id, n.needs.reduce((d, u) => Math.max(d, (depth.get(u) ?? -1) + 1), 0))
  return depth
}

/** The chain of nodes, upstream first, with the largest total wall time. */
export const criticalPath = (nodes: ReadonlyArray<ReportNode>): { readonly path: ReadonlyArray<string>; readonly wallMs: number } => {
  const best = new Map<string, { total: number; via: string | undefined }>()
  for (const n of nodes) {
    let via: string | undefined
    let up = 0
    for (const u of n.needs) {
      const b = best.get(u)
      if (b && b.total > up) {
        up = b.total
        via = u
      }
    }
    best.set(n.id, { total: up + (n.wallMs ?? 0), via })
  }
  let end: string | undefined
  let most = -1
  for (const [id, b] of best) if (b.total > most) [end, most] = [id, b.total]
  const path: Array<string> = []
  for (let at = end; at !== undefined; at = best.get(at)?.via) path.unshift(at)
  return { path: most > 0 ? path : [], wallMs: Math.max(0, most) }
}

/** The `n` nodes with the largest wall times (those with one), largest first. */
export const costliest = (nodes: ReadonlyArray<ReportNode>, n = 5): ReadonlyArray<ReportNode> =>
  nodes.filter((x) => (x.wallMs ?? 0) > 0).sort((a, b) => b.wallMs! - a.wallMs!).slice(0, n)

export const STATUS_COLORS: Readonly<Record<string, string>> = {
  ran: "#9fd89f",
  reused: "#9fd89f",
  cached: "#cfe3f7",
  "to run": "#f7e3a1",
  failed: "#f4a3a3",
  skipped: "#e2e2e2",
  cancelled: "#e2e2e2"
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/**
 * The graph as an SVG element: a column per depth, left to right, a box per node (its id, stage
 * and wall time, filled by status), an edge per dependency. The critical path's boxes and edges
 * are drawn thick and red, the costliest nodes carry a star. Each box links to `#node-<index>`.
 */
export const dagSvg = (nodes: ReadonlyArray<ReportNode>, anchor: (id: string) => string, wall: (ms: number) => string): string => {
  const depth = depths(nodes)
  const columns: Array<Array<ReportNode>> = []
  for (const n of nodes) (columns[depth.get(n.id)!] ??= []).push(n)
  const W = 190, H = 46, GX = 60, GY = 12
  const pos = new Map<string, { x: number; y: number }>()
  columns.forEach((col, c) => col.forEach((n, r) => pos.set(n.id, { x: 10 + c * (W + GX), y: 10 + r * (H + GY) })))
  const width = 20 + columns.length * (W + GX) - GX
  const height = 20 + Math.max(1, ...columns.map((c) => c.length)) * (H + GY) - GY
  const critical = new Set(criticalPath(nodes).path)
  const costly = new Set(costliest(nodes).map((n) => n.id))
  const edges: Array<string> = []
  for (const n of nodes) {
    const to = pos.get(n.id)!
    for (const u of n.needs) {
      const from = pos.get(u)
      if (!from) continue
      const hot = critical.has(u) && critical.has(n.id)
      const x1 = from.x + W, y1 = from.y + H / 2, x2 = to.x, y2 = to.y + H / 2
      edges.push(
        `<path d="M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}" fill="none" stroke="${hot ? "#c0392b" : "#999"}" stroke-width="${hot ? 3 : 1}"${hot ? ' class="critical-edge"' : ""}/>`
      )
    }
  }
  const boxes = nodes.map((n) => {
    const { x, y } = pos.get(n.id)!
    const hot = critical.has(n.id)
    const fill = STATUS_COLORS[n.status] ?? "#eee"
    const short = (s: string) => (s.length > 28 ? `${s.slice(0, 27)}…` : s)
    const time = n.wallMs !== undefined ? wall(n.wallMs) : ""
    return `<a href="#${anchor(n.id)}"><g class="dag-node" data-id="${esc(n.id)}" data-status="${esc(n.status)}"${hot ? ' data-critical="true"' : ""}>` +
      `<title>${esc(`${n.id} (${n.stage}): ${n.status}${time ? `, ${time}` : ""}`)}</title>` +
      `<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="5" fill="${fill}" stroke="${hot ? "#c0392b" : "#555"}" stroke-width="${hot ? 3 : 1}"/>` +
      `<text x="${x + 6}" y="${y + 17}" font-size="12" font-weight="bold">${costly.has(n.id) ? "★ " : ""}${esc(short(n.id))}</text>` +
      `<text x="${x + 6}" y="${y + 35}" font-size="11" fill="#333">${esc(short(`${n.stage} · ${n.status}${time ? ` · ${time}` : ""}`))}</text>` +
      `</g></a>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" class="dag" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">` +
    edges.join("") + boxes.join("") + `</svg>`
}
