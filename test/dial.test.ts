// The latent-knowledge dial: how the share of engine-best pretraining targets splits each member's
// examples, the dial experiment's graph (one experiment per setting, the data and splits shared),
// and figure-dial's points and rendering.
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Pipeline from "../src/Pipeline.ts"
import w2s from "../pipelines/w2s-chess.ts"
import { dialPoints, dialSpec } from "../stages/figures/dial.ts"
import { render } from "../stages/figures/vega.ts"

const paramsOf = (g: Pipeline.Graph, id: string) => {
  const n = g.byId.get(id)
  assert.isDefined(n, `no node ${id}`)
  return n!.params as { positions: number; blunders: number }
}

describe("the latent-knowledge dial", () => {
  it.effect("pretraining.best splits each pretrained member's examples between engine-best and played-move targets", () =>
    Effect.gen(function*() {
      for (const [best, s3] of [[0, [220_000, 0]], [0.25, [165_000, 55_000]], [0.5, [110_000, 110_000]], [1, [0, 220_000]]] as const) {
        const g = yield* Pipeline.graph(w2s, "default", [`pretraining.best=${best}`, "replicates=1"])
        const p = paramsOf(g, "pretrain/s3")
        assert.deepStrictEqual([p.positions, p.blunders], [...s3], `best=${best}`)
        // an unpretrained member reads neither, whatever the dial
        assert.deepStrictEqual([paramsOf(g, "pretrain/s0/s0").positions, paramsOf(g, "pretrain/s0/s0").blunders], [0, 0])
      }
    }))

  it.effect("dial settings build the experiment again under dial/<setting>/, sharing the data and the splits, and add figure-dial", () =>
    Effect.gen(function*() {
      const sets = ["replicates=1", "seeds=[0,1]", "dial=[0,0.5]", "pretraining.best=0.25"]
      const g = yield* Pipeline.graph(w2s, "default", sets)
      const plain = yield* Pipeline.graph(w2s, "default", sets.filter((s) => !s.startsWith("dial")))
      // (identical nodes are one node: an unpretrained member's, which the dial does not change, is an alias)
      const ids = new Set(g.nodes.flatMap((n) => [n.id, ...n.aliases]))
      // the main setting's nodes are as they are without the dial; each other setting's are again under its prefix
      for (const n of plain.nodes) {
        assert.isTrue(ids.has(n.id), n.id)
        const shared = /^(corpus|puzzles|confirm-puzzles|confirm|split)\/|^blunder-positions$/.test(n.id)
        for (const d of ["0", "0.5"]) assert.strictEqual(ids.has(`dial/${d}/${n.id}`), !shared && !n.id.startsWith("figure-"), `dial/${d}/${n.id}`)
      }
      // a setting repeated from pretraining.best is not built twice
      assert.isFalse([...ids].some((id) => id.startsWith("dial/0.25/")))
      // each setting's pretrained bases differ, and its students read its own bases and the shared splits
      assert.deepStrictEqual([paramsOf(g, "dial/0/pretrain/s3").blunders, paramsOf(g, "pretrain/s3").blunders, paramsOf(g, "dial/0.5/pretrain/s3").blunders], [0, 55_000, 110_000])
      const student = g.byId.get("dial/0/train-strong/s0-s3/naive/s0")!
      assert.strictEqual(student.inputs.base!.node, "dial/0/pretrain/s3")
      assert.strictEqual(student.inputs.test!.node, "confirm/s0") // the shared confirmatory part (scoreOn: confirm)
      // figure-dial reads every setting's summary and knowledge, settings in increasing order
      const fig = g.byId.get("figure-dial")!
      assert.deepStrictEqual((fig.params as { settings: Array<number> }).settings, [0, 0.25, 0.5])
      assert.sameMembers(Object.values(fig.inputs).map((w) => w.node), ["results", "dial/0/results", "dial/0.5/results", "ladder-knowledge", "dial/0/ladder-knowledge", "dial/0.5/ladder-knowledge"])
      // without dial settings there is no dial figure
      assert.isFalse(plain.nodes.some((n) => n.id === "figure-dial"))
    }))

  const summaryRow = (weak: string, strong: string, pgr: number, gain: number, readable = true) => ({
    weak, strong, method: "naive", checkpoint: "weak-val", pgr, pgrLo95: pgr - 0.1, pgrHi95: pgr + 0.1, pgrReadable: readable,
    studentMinusMaxWeakZeroShot: gain, studentMinusMaxWeakZeroShotLo95: gain - 0.02, studentMinusMaxWeakZeroShotHi95: gain + 0.02
  })
  const member = (name: string, zero: number, probe: number) => ({ member: name, accZeroShot: zero, accProbe: probe })

  it("figure-dial: one point per (setting, pair) and statistic at the student's probe - zero-shot; unreadable PGR left out", async () => {
    const settings = [0, 0.5]
    const summaries = [
      [summaryRow("s0", "s3", 0.6, 0.05), summaryRow("s1", "s3", 0.4, 0.02, false), { ...summaryRow("s0", "s3", 9, 9), method: "auxconf" }],
      [summaryRow("s0", "s3", 0.3, -0.01), summaryRow("s1", "s3", 0.2, -0.03)]
    ]
    const knowledge = [[member("s3", 0.3, 0.5)], [member("s3", 0.55, 0.6)]]
    const points = dialPoints(settings, summaries as never, knowledge as never, "naive", "weak-val")
    assert.deepStrictEqual(points.map((p) => [p.setting, p.pair, p.panel, Math.round(p.latent * 100), p.y]), [
      [0, "s0 → s3", "PGR", 20, 0.6],
      [0, "s0 → s3", "student - max(weak, zero-shot)", 20, 0.05],
      [0, "s1 → s3", "student - max(weak, zero-shot)", 20, 0.02],
      [0.5, "s0 → s3", "PGR", 5, 0.3],
      [0.5, "s0 → s3", "student - max(weak, zero-shot)", 5, -0.01],
      [0.5, "s1 → s3", "PGR", 5, 0.2],
      [0.5, "s1 → s3", "student - max(weak, zero-shot)", 5, -0.03]
    ])
    assert.throws(() => dialPoints(settings, summaries.slice(0, 1) as never, knowledge as never, "naive", "weak-val"), /2 dial settings but 1 summaries/)
    assert.throws(() => dialPoints([0], [[summaryRow("s0", "s2", 0.1, 0)]] as never, [[member("s3", 0, 0)]] as never, "naive", "weak-val"), /no member s2/)
    const svg = (await render("dial", dialSpec(points, settings, "weak-val"), { width: 300, height: 200, scheme: "tableau10", x: "params", scale: 1 })).svg
    const symbols = [...svg.matchAll(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="point"/g)].map((m) => m[1]!)
    assert.strictEqual(symbols.length, points.length)
    assert.include(svg, "probe - zero-shot")
  })
})
