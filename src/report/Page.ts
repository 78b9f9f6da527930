/**
 * The run report as one self-contained HTML page: the command that reproduces it, the results
 * tables (an estimate with its `Lo95`/`Hi95` columns shown as one interval), the seeds' spread of
 * every table with a `seed` column, every figure as inline SVG, the graph with each node's status,
 * wall time and CPU (critical path and costliest nodes marked), and each node's provenance. Nothing
 * in the page is fetched: no scripts, stylesheets, fonts or images from anywhere, so it opens
 * offline and can be mailed or archived as it is. A pure function of its model.
 */
import { costliest, criticalPath, dagSvg, type ReportNode, STATUS_COLORS } from "./Graph.ts"

export interface ReportTable {
  readonly name: string
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>
}

/** One node with what its record says of how it was made (where it is computed). */
export interface ReportNodeDetail extends ReportNode {
  readonly reason?: string | undefined
  readonly key?: string | undefined
  readonly version?: string | number | undefined
  readonly fingerprint?: string | undefined
  readonly params: unknown
  readonly inputs: ReadonlyArray<{ readonly port: string; readonly from: string; readonly hash?: string | undefined }>
  readonly outputs?: Readonly<Record<string, { readonly hash: string; readonly size: number }>> | undefined
  readonly cpuMs?: number | undefined
  readonly startedAt?: string | undefined
  /** what the stage reported (backend, engine, counts...) */
  readonly facts?: Readonly<Record<string, unknown>> | undefined
  readonly host?: Readonly<Record<string, unknown>> | undefined
}

export interface ReportModel {
  readonly pipeline: string
  readonly preset: string
  readonly params: unknown
  /** the params set apart from the preset, as `path=value` */
  readonly overrides: ReadonlyArray<string>
  /** the command line that reproduces this report's results */
  readonly command: string
  readonly generatedAt: string
  readonly run?: {
    readonly id: string
    readonly startedAt: string
    readonly durationMs: number
    readonly counts: Readonly<Record<string, number>>
    readonly exit: number
    readonly interrupted: boolean
  } | undefined
  readonly results: ReadonlyArray<ReportTable>
  /** why there are no results, when there are none */
  readonly resultsMissing?: string | undefined
  readonly figures: ReadonlyArray<{ readonly node: string; readonly title: string; readonly svg: string }>
  readonly figuresMissing: ReadonlyArray<string>
  readonly nodes: ReadonlyArray<ReportNodeDetail>
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** 4.2s, 37s, 3m05s, 1h12m; 180ms */
export const wall = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}

const num = (v: unknown): string =>
  typeof v === "number" ? (Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v)) : v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v)

const INTERVAL = [["Lo95", "Hi95"], ["Lo", "Hi"]] as const

/** The columns a table shows: an estimate with its interval columns folded into it. */
const folded = (columns: ReadonlyArray<string>) => {
  const all = new Set(columns)
  const bounds = new Map<string, [string, string]>()
  for (const c of columns) {
    for (const [lo, hi] of INTERVAL) if (all.has(`${c}${lo}`) && all.has(`${c}${hi}`)) bounds.set(c, [`${c}${lo}`, `${c}${hi}`])
  }
  const hidden = new Set([...bounds.values()].flat())
  return { shown: columns.filter((c) => !hidden.has(c)), bounds }
}

/** A table as HTML, each interval as `est [lo, hi]`. */
export const tableHtml = (t: ReportTable, cls = "results"): string => {
  const { shown, bounds } = folded(t.columns)
  const head = shown.map((c) => `<th>${esc(c)}${bounds.has(c) ? " <span class=dim>[95% interval]</span>" : ""}</th>`).join("")
  const body = t.rows.map((r) =>
    "<tr>" + shown.map((c) => {
      const b = bounds.get(c)
      const cell = b && r[b[0]] != null && r[b[1]] != null ? `${num(r[c])} <span class=dim>[${num(r[b[0]])}, ${num(r[b[1]])}]</span>` : esc(num(r[c]))
      return `<td${typeof r[c] === "number" ? " class=n" : ""}>${cell}</td>`
    }).join("") + "</tr>"
  ).join("\n")
  return `<table class="${cls}" data-table="${esc(t.name)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`
}

/**
 * The spread over seeds of a table with a `seed` column and at least two seeds: a row per group of
 * its text columns, with the number of seeds and, for each numeric column that varies between the
 * seeds of some group, `mean ± sd [min, max]` over the group's rows. None without seeds.
 */
export const seedSpread = (t: ReportTable): ReportTable | undefined => {
  if (!t.columns.includes("seed") || new Set(t.rows.map((r) => r.seed)).size < 2) return undefined
  const text = t.columns.filter((c) => c !== "seed" && t.rows.some((r) => typeof r[c] === "string" || typeof r[c] === "boolean"))
  const groups = new Map<string, Array<Readonly<Record<string, unknown>>>>()
  for (const r of t.rows) {
    const k = JSON.stringify(text.map((c) => r[c]))
    groups.set(k, [...(groups.get(k) ?? []), r])
  }
  const values = (rs: ReadonlyArray<Readonly<Record<string, unknown>>>, c: string) =>
    rs.map((r) => r[c]).filter((x): x is number => typeof x === "number" && Number.isFinite(x))
  const numeric = t.columns.filter((c) =>
    c !== "seed" && !text.includes(c) && [...groups.values()].some((rs) => new Set(values(rs, c)).size > 1)
  )
  if (numeric.length === 0) return undefined
  const rows = [...groups.values()].map((rs) => ({
    ...Object.fromEntries(text.map((k) => [k, rs[0]![k]])),
    seeds: new Set(rs.map((r) => r.seed)).size,
    ...Object.fromEntries(numeric.map((c) => {
      const xs = values(rs, c)
      if (xs.length === 0) return [c, null]
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length
      const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0
      return [c, `${num(mean)} ± ${num(sd)} [${num(Math.min(...xs))}, ${num(Math.max(...xs))}]`]
    }))
  }))
  return { name: `${t.name}: spread over seeds`, columns: [...text, "seeds", ...numeric], rows }
}

const anchor = (nodes: ReadonlyArray<ReportNodeDetail>) => {
  const index = new Map(nodes.map((n, i) => [n.id, i]))
  return (id: string) => `node-${index.get(id) ?? "x"}`
}

const provenance = (n: ReportNodeDetail, link: (id: string) => string): string => {
  const rows: Array<[string, string]> = [
    ["stage", `${esc(n.stage)}${n.version !== undefined ? ` <span class=dim>version ${esc(String(n.version))}</span>` : ""}`],
    ["status", `${esc(n.status)}${n.reason ? ` <span class=dim>(${esc(n.reason)})</span>` : ""}`],
    ["key", n.key ? `<code>${esc(n.key)}</code>` : "<span class=dim>not known until its upstream is computed</span>"],
    ["params", `<code>${esc(JSON.stringify(n.params))}</code>`],
    ["inputs", n.inputs.length ? n.inputs.map((i) => `${esc(i.port)} ← <a href="#${link(i.from)}">${esc(i.from)}</a>${i.hash ? ` <code class=dim>${esc(i.hash.slice(0, 12))}</code>` : ""}`).join("<br>") : "none"]
  ]
  if (n.outputs) rows.push(["outputs", Object.entries(n.outputs).map(([p, o]) => `${esc(p)} <code class=dim>${esc(o.hash.slice(0, 12))}</code> ${o.size} B`).join("<br>")])
  if (n.fingerprint) rows.push(["code", `<code>${esc(n.fingerprint.slice(0, 16))}</code>`])
  if (n.wallMs !== undefined) rows.push(["time", `${wall(n.wallMs)} wall${n.cpuMs !== undefined ? `, ${wall(n.cpuMs)} CPU` : ""}${n.startedAt ? `, started ${esc(n.startedAt)}` : ""}`])
  if (n.facts && Object.keys(n.facts).length) {
    rows.push(["facts", Object.entries(n.facts).map(([k, v]) => `${esc(k)}: <code>${esc(typeof v === "string" ? v : JSON.stringify(v))}</code>`).join("<br>")])
  }
  if (n.host) rows.push(["host", esc(Object.entries(n.host).map(([k, v]) => `${k} ${String(v)}`).join(", "))])
  return `<table class=prov>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")}</table>`
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1400px;padding:0 16px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
code,pre{font:12px ui-monospace,Menlo,Consolas,monospace}pre{background:#f6f6f6;padding:8px;overflow-x:auto}
table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.scroll td,.scroll th{white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}.dim{color:#777;font-weight:normal}
.scroll{overflow-x:auto;max-width:100%}.figure{margin:12px 0 24px}.figure svg{max-width:100%;height:auto}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border:1px solid #999;border-radius:3px}
tr.critical td:first-child{border-left:4px solid #c0392b}details{margin:2px 0}summary{cursor:pointer}
table.prov{margin:4px 0 8px 16px}table.prov th{width:80px}`

/** The whole page. */
export const page = (m: ReportModel): string => {
  const link = anchor(m.nodes)
  const crit = criticalPath(m.nodes)
  const critical = new Set(crit.path)
  const costly = costliest(m.nodes)
  const costlyIds = new Set(costly.map((n) => n.id))
  const counts = new Map<string, number>()
  for (const n of m.nodes) counts.set(n.status, (counts.get(n.status) ?? 0) + 1)
  const stages = new Map<string, { nodes: number; wallMs: number; cpuMs: number }>()
  for (const n of m.nodes) {
    const s = stages.get(n.stage) ?? { nodes: 0, wallMs: 0, cpuMs: 0 }
    stages.set(n.stage, { nodes: s.nodes + 1, wallMs: s.wallMs + (n.wallMs ?? 0), cpuMs: s.cpuMs + (n.cpuMs ?? 0) })
  }
  const stageRows = [...stages].sort((a, b) => b[1].wallMs - a[1].wallMs)
  const totalWall = stageRows.reduce((a, [, s]) => a + s.wallMs, 0)
  const spreads = m.results.flatMap((t) => seedSpread(t) ?? [])
  const title = `${m.pipeline} (preset ${m.preset})`
  const run = m.run
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}: run report</title><style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
<p class=dim>Report generated ${esc(m.generatedAt)}${run ? ` for run <code>${esc(run.id)}</code>, started ${esc(run.startedAt)}, ${wall(run.durationMs)}, exit ${run.exit}${run.interrupted ? " (interrupted)" : ""}: ${esc(Object.entries(run.counts).filter(([, v]) => v > 0).map(([k, v]) => `${v} ${k}`).join(", "))}` : ""}.</p>
<h2 id=reproduce>Reproduce</h2>
<pre id=command>${esc(m.command)}</pre>
<p>${m.overrides.length ? `Params set apart from the preset: <code>${esc(m.overrides.join(" "))}</code>.` : "The preset's params, unchanged."}
<details><summary>all params</summary><pre>${esc(JSON.stringify(m.params, null, 2))}</pre></details></p>
<h2 id=results>Results</h2>
${m.results.length ? m.results.map((t) => `<h3>${esc(t.name)}</h3><div class=scroll>${tableHtml(t)}</div>`).join("\n") : `<p>No results: ${esc(m.resultsMissing ?? "the pipeline declares no results table")}.</p>`}
${spreads.length ? `<h2 id=seeds>Spread over seeds</h2><p class=dim>Each numeric column that differs between seeds: mean ± standard deviation [min, max] over the seeds' rows.</p>${spreads.map((t) => `<h3>${esc(t.name)}</h3><div class=scroll>${tableHtml(t, "spread")}</div>`).join("\n")}` : ""}
<h2 id=figures>Figures</h2>
${m.figures.map((f) => `<div class=figure data-node="${esc(f.node)}"><h3>${esc(f.title)} <span class=dim>(${esc(f.node)})</span></h3>${inlineSvg(f.svg)}</div>`).join("\n") || "<p>No figures.</p>"}
${m.figuresMissing.length ? `<p class=dim>Not computed: ${esc(m.figuresMissing.join(", "))}.</p>` : ""}
<h2 id=graph>Graph</h2>
<p>${m.nodes.length} nodes: ${esc([...counts].map(([k, v]) => `${v} ${k}`).join(", "))}. <span class=legend>${Object.entries(STATUS_COLORS).filter(([k]) => counts.has(k)).map(([k, c]) => `<span style="background:${c}">${esc(k)}</span>`).join("")}</span></p>
<p>Critical path (the chain with the most wall time, ${wall(crit.wallMs)}; thick red): ${crit.path.length ? crit.path.map((id) => `<a href="#${link(id)}">${esc(id)}</a>`).join(" → ") : "no timings"}.
Costliest nodes (★): ${costly.map((n) => `<a href="#${link(n.id)}">${esc(n.id)}</a> ${wall(n.wallMs!)}`).join(", ") || "none timed"}.</p>
<div class=scroll>${dagSvg(m.nodes, link, wall)}</div>
<h3>Time by stage</h3>
<table class=stages><thead><tr><th>stage</th><th>nodes</th><th>wall</th><th>share</th><th>CPU</th></tr></thead><tbody>
${stageRows.map(([s, v], i) => `<tr><td>${i < 3 && v.wallMs > 0 ? "★ " : ""}${esc(s)}</td><td class=n>${v.nodes}</td><td class=n>${wall(v.wallMs)}</td><td class=n>${totalWall ? Math.round((100 * v.wallMs) / totalWall) : 0}%</td><td class=n>${v.cpuMs ? wall(v.cpuMs) : "–"}</td></tr>`).join("\n")}
</tbody></table>
<p class=dim>Wall and CPU times are those of the records in use (when each node was computed, by this run or an earlier one). CPU is the computing process's over the node's wall time, shared with nodes that ran beside it.</p>
<h2 id=nodes>Nodes and provenance</h2>
<table class=nodes><thead><tr><th>node</th><th>stage</th><th>status</th><th>wall</th><th>CPU</th><th>key</th></tr></thead><tbody>
${m.nodes.map((n) => `<tr id="${link(n.id)}"${critical.has(n.id) ? " class=critical" : ""}><td><details><summary>${costlyIds.has(n.id) ? "★ " : ""}${esc(n.id)}</summary>${provenance(n, link)}</details></td><td>${esc(n.stage)}</td><td style="background:${STATUS_COLORS[n.status] ?? "#fff"}">${esc(n.status)}</td><td class=n>${n.wallMs !== undefined ? wall(n.wallMs) : "–"}</td><td class=n>${n.cpuMs !== undefined ? wall(n.cpuMs) : "–"}</td><td><code>${n.key ? esc(n.key.slice(0, 12)) : "–"}</code></td></tr>`).join("\n")}
</tbody></table>
</body></html>
`
}

/** An SVG document as an element to inline: no XML prolog or doctype, and nothing it would fetch. */
const inlineSvg = (svg: string): string =>
  svg.replace(/^\s*<\?xml[^>]*\?>\s*/, "").replace(/<!DOCTYPE[^>]*>\s*/i, "").replace(/\s(?:xlink:)?href="(?:https?:)?\/\/[^"]*"/g, "")
