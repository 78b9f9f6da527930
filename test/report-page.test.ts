// The run report's pure parts: the critical path and costliest nodes of a timed graph, intervals
// folded into their estimate, the seeds' spread, and a page that holds nothing it would fetch.
import { assert, describe, it } from "@effect/vitest"
import { costliest, criticalPath, depths, type ReportNode } from "../src/report/Graph.ts"
import { page, seedSpread, tableHtml } from "../src/report/Page.ts"

//   a(1) -> b(5) -> d(1)
//   a(1) -> c(2) -> d(1)      e(9) alone
const nodes: Array<ReportNode> = [
  { id: "a", stage: "s", needs: [], status: "ran", wallMs: 1000 },
  { id: "b", stage: "s", needs: ["a"], status: "ran", wallMs: 5000 },
  { id: "c", stage: "t", needs: ["a"], status: "cached", wallMs: 2000 },
  { id: "d", stage: "t", needs: ["b", "c"], status: "ran", wallMs: 1000 },
  { id: "e", stage: "u", needs: [], status: "to run" }
]

describe("the report's graph", () => {
  it("depths, the critical path by stored wall time, and the costliest nodes", () => {
    assert.deepStrictEqual([...depths(nodes)], [["a", 0], ["b", 1], ["c", 1], ["d", 2], ["e", 0]])
    assert.deepStrictEqual(criticalPath(nodes), { path: ["a", "b", "d"], wallMs: 7000 })
    assert.deepStrictEqual(costliest(nodes, 2).map((n) => n.id), ["b", "c"])
    assert.deepStrictEqual(criticalPath([{ id: "x", stage: "s", needs: [], status: "to run" }]), { path: [], wallMs: 0 })
  })
})

describe("the report's tables", () => {
  it("shows an estimate with its Lo95/Hi95 columns as one interval", () => {
    const html = tableHtml({ name: "t", columns: ["pair", "pgr", "pgrLo95", "pgrHi95"], rows: [{ pair: "s0 → s2", pgr: 0.31234, pgrLo95: 0.2, pgrHi95: 0.4 }] })
    assert.include(html, "<th>pgr <span class=dim>[95% interval]</span></th>")
    assert.notInclude(html, "pgrLo95")
    assert.include(html, "0.3123 <span class=dim>[0.2, 0.4]</span>")
  })

  it("the seeds' spread: a row per group, mean ± sd [min, max] of the columns that differ between seeds", () => {
    const rows = [1, 2, 3].flatMap((seed) => ["naive", "auxconf"].map((method) => ({ method, seed, n: 100, acc: method === "naive" ? seed / 10 : 0.5 })))
    const spread = seedSpread({ name: "rows", columns: ["method", "seed", "n", "acc"], rows })!
    assert.deepStrictEqual(spread.columns, ["method", "seeds", "acc"], "n is the same for every seed: left out")
    assert.deepStrictEqual(spread.rows, [
      { method: "naive", seeds: 3, acc: "0.2 ± 0.1 [0.1, 0.3]" },
      { method: "auxconf", seeds: 3, acc: "0.5 ± 0 [0.5, 0.5]" }
    ])
    assert.isUndefined(seedSpread({ name: "one seed", columns: ["seed", "acc"], rows: [{ seed: 0, acc: 1 }, { seed: 0, acc: 2 }] }))
    assert.isUndefined(seedSpread({ name: "no seeds", columns: ["acc"], rows: [{ acc: 1 }, { acc: 2 }] }))
  })
})

describe("the page", () => {
  it("holds the command, results, figures and graph, escapes what it shows, and refers to nothing outside itself", () => {
    const svg = `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><a href="https://example.com/x"><rect width="5" height="5"/></a></svg>`
    const html = page({
      pipeline: "p",
      preset: "default",
      params: { name: "<b>" },
      overrides: ["name=\"<b>\""],
      command: "pipeline run p --preset default --set 'name=\"<b>\"'",
      generatedAt: "2026-12-06T00:00:00Z",
      results: [{ name: "r.table", columns: ["x"], rows: [{ x: 1 }] }],
      figures: [{ node: "fig", title: "A figure", svg }],
      figuresMissing: [],
      nodes: nodes.map((n) => ({ ...n, params: {}, inputs: n.needs.map((u) => ({ port: "in", from: u })) }))
    })
    assert.include(html, `<pre id=command>pipeline run p --preset default --set 'name=&quot;&lt;b&gt;&quot;'</pre>`)
    assert.notInclude(html, "<b>\"")
    assert.include(html, `data-table="r.table"`)
    assert.include(html, `<div class=figure data-node="fig">`)
    assert.notInclude(html, "<?xml")
    assert.notInclude(html, "example.com", "links out of the page are dropped from figures")
    assert.strictEqual(html.match(/class="dag-node"/g)?.length, 5)
    assert.strictEqual(html.match(/data-critical="true"/g)?.length, 3)
    assert.notMatch(html, /<script|<link|<img|src=|url\(/i)
  })
})
