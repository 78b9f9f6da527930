// The paper figures: summaries over seeds checked by hand (from a summary table shaped as `results` makes it), and each rendered figure read back: the
// SVG must hold the expected title, axis titles, legend entries and one mark per data point with
// the right value; the PNG must show text (in the bundled font) and data in the series colours.
import { assert, describe, it } from "@effect/vitest"
import { PNG } from "pngjs"
import { rasterize, render, type Style } from "../stages/figures/vega.ts"
import { type FigureName, si, specs, summarize } from "../stages/figures/w2s.ts"

const PARAMS: Record<string, number> = { s0: 1_000, s1: 4_000, s2: 16_000, s3: 64_000 }
const WEAK: Record<string, number> = { s0: 0.2, s1: 0.25 }
const CEIL: Record<string, number> = { s0: 0, s1: 0, s2: 0.4, s3: 0.5 }
const TRUE_PGR: Record<string, number> = { naive: 0.3, auxconf: 0.5, bootstrap: 0.1, noise: 0.4 }

type Metric = Parameters<typeof summarize>[0][number]
type Row = Parameters<typeof summarize>[1][number]

/** A 2 x 2 grid, naive and auxconf everywhere, bootstrap and the noise control only s0 -> s3, three seeds; PGR falls 0.05 an epoch. */
const grid = (): Array<Metric> => {
  const out: Array<Metric> = []
  for (const weak of ["s0", "s1"]) {
    for (const strong of ["s2", "s3"]) {
      for (const method of ["naive", "auxconf", "bootstrap", "noise"]) {
        if ((method === "bootstrap" || method === "noise") && !(weak === "s0" && strong === "s3")) continue
        for (const seed of [0, 1, 2]) {
          const accWeak = WEAK[weak]! + 0.01 * seed
          const accCeiling = CEIL[strong]! - 0.01 * seed
          const pgr = TRUE_PGR[method]! + 0.05 * (seed - 1)
          const byEpoch = [pgr + 0.1, pgr + 0.05, pgr]
          const accOf = (p: number) => accWeak + p * (accCeiling - accWeak)
          const checkpoint = (name: "final" | "weak-val" | "disagreement" | "pool-agreement" | "oracle-test", epoch: number) => ({
            name, epoch, accStudent: accOf(byEpoch[epoch]!), pgr: byEpoch[epoch]!, agreeWhenWeakRight: 0.9 - 0.1 * seed, agreeWhenWeakWrong: 0.5 - 0.1 * seed
          })
          out.push({
            weak, strong, method, seed, n: 500, accWeak, accCeiling, accZeroShot: 0.05, accPool: 0.1, weakEpoch: 1, ceilingEpoch: 2,
            checkpoints: [checkpoint("final", 2), checkpoint("weak-val", 1), checkpoint("disagreement", 1), checkpoint("pool-agreement", 0), checkpoint("oracle-test", 0)],
            epochs: [0, 1, 2],
            accByEpoch: byEpoch.map(accOf), pgrByEpoch: byEpoch, valByEpoch: [2, 1.9, 1.95],
            strongParams: PARAMS[strong]!, strongFlops: PARAMS[strong]! * 1e6 + seed, weakParams: PARAMS[weak]!
          })
        }
      }
    }
  }
  return out
}

const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
/** A summary as `results` makes it, with intervals of +-0.02 around the seed means (the figures only draw them). */
const summaryOf = (metrics: ReadonlyArray<Metric>, unreadable: ReadonlyArray<string> = []): Array<Row> => {
  const groups = new Map<string, Array<Metric>>()
  for (const m of metrics) groups.set(`${m.weak}-${m.strong}-${m.method}`, [...(groups.get(`${m.weak}-${m.strong}-${m.method}`) ?? []), m])
  return [...groups.values()].flatMap((g) => (["final", "weak-val", "oracle-test"] as const).map((checkpoint) => {
    const cp = g.map((m) => m.checkpoints.find((c) => c.name === checkpoint)!)
    const v = {
      accWeak: mean(g.map((m) => m.accWeak)),
      accStudent: mean(cp.map((c) => c.accStudent)),
      accCeiling: mean(g.map((m) => m.accCeiling)),
      accZeroShot: 0.05,
      studentMinusWeak: 0,
      ceilingMinusWeak: 0,
      pgr: mean(cp.map((c) => c.pgr!)),
      studentMinusMaxWeakZeroShot: 0,
      agreeWhenWeakRight: mean(cp.map((c) => c.agreeWhenWeakRight)),
      agreeWhenWeakWrong: mean(cp.map((c) => c.agreeWhenWeakWrong))
    }
    const row: Record<string, unknown> = {
      weak: g[0]!.weak, strong: g[0]!.strong, method: g[0]!.method, checkpoint, seeds: g.length, puzzles: 1500, meanEpoch: 1,
      pgrReadable: !unreadable.includes(`${g[0]!.weak}-${g[0]!.strong}`), interval: "test"
    }
    for (const [k, x] of Object.entries(v)) Object.assign(row, { [k]: x, [`${k}Lo95`]: x - 0.02, [`${k}Hi95`]: x + 0.02 })
    return row as unknown as Row
  }))
}
const sweepOf = (metrics: ReadonlyArray<Metric>, x: "params" | "compute" = "params", unreadable: ReadonlyArray<string> = []) =>
  summarize(metrics, summaryOf(metrics, unreadable), x)

const style: Style = { width: 300, height: 200, scheme: "tableau10", x: "params", scale: 1 }

/** The data marks of a Vega SVG: aria-role description (point, bar) and label of each. */
const marks = (svg: string, kind: string) =>
  [...svg.matchAll(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="([^"]*)"/g)]
    .filter((m) => m[2] === kind)
    .map((m) => m[1]!)
/** The numbers after "field: " in a mark's label. */
const valueOf = (label: string, field: string) => {
  const m = label.match(new RegExp(`${field.replace(/[()]/g, "\\$&")}: (-?[0-9.e-]+)`))
  return m ? Number(m[1]) : Number.NaN
}
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replaceAll("&apos;", "'").replaceAll("&amp;", "&"))
/** All the text of an SVG, multi-line titles (tspans) included. */
const allText = (svg: string) => svg.replace(/<[^>]+>/g, " ").replaceAll("&apos;", "'").replaceAll("&amp;", "&").replace(/\s+/g, " ")
const close = (a: number, b: number) => assert.isBelow(Math.abs(a - b), 1e-9, `${a} vs ${b}`)

describe("summaries over seeds", () => {
  it("draw the weak-validation checkpoint's seed means and intervals, one ceiling per strong size and one accuracy per supervisor", () => {
    const m = grid()
    const sweep = sweepOf(m)
    assert.strictEqual(sweep.cells.length, 10)
    assert.strictEqual(sweep.seeds, 3)
    const cell = sweep.cells.find((c) => c.weak === "s0" && c.strong === "s3" && c.method === "auxconf")!
    const rows = m.filter((r) => r.weak === "s0" && r.strong === "s3" && r.method === "auxconf")
    close(cell.accStudent.est, mean(rows.map((r) => r.checkpoints[1]!.accStudent)))
    close(cell.pgr!.est, 0.55) // the weak-val checkpoint is epoch 1: 0.5 + 0.05
    assert.isTrue(cell.accStudent.lo <= cell.accStudent.est && cell.accStudent.est <= cell.accStudent.hi)
    // per epoch, the PGR of the seed means (as the headline), not the mean of the seeds' PGRs
    const w = mean(rows.map((r) => r.accWeak)), c = mean(rows.map((r) => r.accCeiling))
    cell.pgrByEpoch.forEach((p, e) => close(p!, (mean(rows.map((r) => r.accByEpoch[e]!)) - w) / (c - w)))
    assert.isBelow(Math.abs(cell.pgrByEpoch[0]! - 0.6), 0.01)
    assert.sameDeepMembers([...cell.picked], [0, 1, 2].flatMap(() => [{ rule: "weak-val", index: 1, epoch: 1 }, { rule: "disagreement", index: 1, epoch: 1 }, { rule: "pool-agreement", index: 0, epoch: 0 }, { rule: "oracle-test", index: 0, epoch: 0 }]))
    assert.strictEqual(cell.pair, "s0 → s3")
    assert.strictEqual(cell.x, 64_000)
    assert.deepStrictEqual(sweep.ceilings.map((c) => [c.strong, c.x]), [["s2", 16_000], ["s3", 64_000]])
    close(sweep.ceilings[1]!.acc.est, 0.49)
    assert.deepStrictEqual(sweep.supervisors.map((s) => s.supervisor), ["s0 (1k params)", "s1 (4k params)"])
    close(sweep.supervisors[0]!.acc.est, 0.21)
    // compute on the x axis: the median over seeds of the students' FLOPs
    assert.strictEqual(sweepOf(m, "compute").cells.find((c) => c.strong === "s2")!.x, 16_000 * 1e6 + 1)
  })

  it("PGR is left out where the (ceiling - weak) interval includes 0, and the figures say for which pairs", async () => {
    const sweep = sweepOf(grid(), "params", ["s0-s2", "s1-s2"])
    assert.isNull(sweep.cells.find((c) => c.strong === "s2")!.pgr)
    assert.isNotNull(sweep.cells.find((c) => c.strong === "s3")!.pgr)
    assert.deepStrictEqual([...sweep.unreadable], ["s0 → s2", "s1 → s2"])
    const svg = (await render("pgr", specs.pgr(sweep), style)).svg
    assert.strictEqual(marks(svg, "point").length, 2)
    assert.include(allText(svg), "PGR not drawn for s0 → s2, s1 → s2: the (ceiling - weak) interval includes 0.")
  })

  it("si formats sizes as a reader writes them", () => {
    assert.deepStrictEqual([si(950), si(52_000), si(2_759_680), si(3.1e12)], ["950", "52k", "2.8M", "3.1T"])
  })
})

describe("rendered figures hold their marks and labels", () => {
  const sweep = sweepOf(grid())
  const svgOf = async (name: FigureName) => (await render(name, specs[name](sweep), style)).svg
  const cell = (w: string, s: string, m: string) => sweep.cells.find((c) => c.weak === w && c.strong === s && c.method === m)!

  it("accuracy: a point per naive student and per ceiling, at the medians; titles and legend readable", async () => {
    const svg = await svgOf("accuracy")
    const t = texts(svg)
    assert.include(t, "Weak-to-strong: test accuracy vs strong student size")
    assert.include(t, "strong student parameters (log scale)")
    assert.include(t, "test accuracy (top-1 move)")
    assert.includeMembers(t, ["weak supervisor", "s0 (1k params)", "s1 (4k params)", "ceiling (ground truth)"])
    const points = marks(svg, "point")
    // the naive students, the ceilings and the students' zero-shot bases
    assert.strictEqual(points.length, 4 + 2 + 2)
    assert.include(allText(svg), "zero-shot (before any label)")
    const acc = points.map((p) => valueOf(p, "test accuracy (top-1 move)")).sort()
    const want = [
      ...["s0", "s1"].flatMap((w) => ["s2", "s3"].map((s) => cell(w, s, "naive").accStudent.est)),
      ...sweep.ceilings.map((c) => c.acc.est),
      ...sweep.zeroShots.map((z) => z.acc.est)
    ].sort()
    acc.forEach((a, i) => assert.isBelow(Math.abs(a - want[i]!), 1e-9))
  })

  it("pgr: one point per (supervisor, student) at the mean PGR of the weak-validation checkpoint, and the zero line", async () => {
    const svg = await svgOf("pgr")
    const points = marks(svg, "point")
    assert.strictEqual(points.length, 4)
    for (const p of points) close(valueOf(p, "performance gap recovered (PGR)"), 0.35)
    assert.include(texts(svg), "performance gap recovered (PGR)")
  })

  it("bootstrap: naive and bootstrap only where bootstrapping ran, in two panels", async () => {
    const svg = await svgOf("bootstrap")
    const points = marks(svg, "point")
    // accuracy panel: naive + bootstrap for s0 -> s3, and 2 ceiling points; PGR panel: 2
    assert.strictEqual(points.length, 6)
    assert.includeMembers(texts(svg), ["test accuracy", "PGR", "fine-tuning method", "naive", "bootstrap"])
    assert.isTrue(points.filter((p) => p.includes("method: bootstrap")).every((p) => p.includes("s0 (1k params)")))
  })

  it("a sweep without naive (or auxconf) runs says so in the figures that draw them, instead of drawing nothing silently", async () => {
    const onlyAux = sweepOf(grid().filter((m) => m.method === "auxconf"))
    for (const name of ["accuracy", "pgr"] as const) {
      const text = allText((await render(name, specs[name](onlyAux), style)).svg)
      assert.include(text, "No naive fine-tuning runs (method 'naive') in this sweep (methods run: auxconf)", name)
    }
    const onlyNaive = sweepOf(grid().filter((m) => m.method === "naive"))
    assert.include(allText((await render("auxconf", specs.auxconf(onlyNaive), style)).svg), "No auxiliary-confidence runs (method 'auxconf') in this sweep (methods run: naive): only naive fine-tuning is drawn.")
    // the full grid has both: no such line, while its other subtitle lines are there
    for (const name of ["accuracy", "pgr", "auxconf"] as const) {
      const text = allText(await svgOf(name))
      assert.notInclude(text, "in this sweep (methods run")
      assert.include(text, "Means over 3 seeds (each its own split)")
    }
  })

  it("auxconf: PGR of both methods for every pair", async () => {
    const svg = await svgOf("auxconf")
    const points = marks(svg, "point")
    assert.strictEqual(points.length, 8)
    for (const p of points.filter((x) => x.includes("method: auxconf"))) close(valueOf(p, "performance gap recovered (PGR)"), 0.55)
  })

  it("agreement: every cell in each of the two panels, as percentages", async () => {
    const svg = await svgOf("agreement")
    const points = marks(svg, "point")
    assert.strictEqual(points.length, 20)
    assert.includeMembers(texts(svg), ["supervisor right", "supervisor wrong", "student agrees with supervisor", "100%"])
  })

  it("summary: a bar per supervisor, method run and ceiling of every pair; no method is picked on test", async () => {
    const svg = await svgOf("summary")
    const bars = marks(svg, "bar")
    // s0 -> s3 has all four methods (7 bars with the supervisor, the zero-shot base and the ceiling), the other pairs naive and auxconf (5 each)
    assert.strictEqual(bars.length, 7 + 3 * 5)
    assert.strictEqual(bars.filter((b) => b.includes("student's base, zero-shot")).length, 4)
    assert.strictEqual(bars.filter((b) => b.includes("random-error control")).length, 1)
    assert.isTrue(bars.filter((b) => b.includes("random-error control") || b.includes("bootstrapped student")).every((b) => b.includes("s0 → s3")))
    const t = texts(svg)
    assert.includeMembers(t, ["s0 → s2", "s1 → s3", "weak supervisor", "naive student", "auxconf student", "bootstrapped student", "random-error control", "strong ceiling"])
    assert.notInclude(allText(svg), "best method")
  })

  it("epochs: one point per epoch (0 = the base) of each naive and auxconf cell, and each seed's picked epochs marked", async () => {
    const svg = await svgOf("epochs")
    const points = marks(svg, "point")
    const picks = points.filter((p) => p.includes("checkpoint: "))
    assert.strictEqual(points.length - picks.length, 8 * 3)
    // per cell and seed: the weak-validation pick (epoch 1) and the oracle's (epoch 0), at the curve's value there
    assert.strictEqual(picks.filter((p) => p.includes("picked by weak-labelled validation")).length, 8 * 3)
    assert.strictEqual(picks.filter((p) => p.includes("picked by confident disagreement")).length, 8 * 3)
    assert.strictEqual(picks.filter((p) => p.includes("picked by agreement with the base-supervisor pool")).length, 8 * 3)
    assert.strictEqual(picks.filter((p) => p.includes("best on test (oracle)")).length, 8 * 3)
    const axis = "fine-tuning epochs (0 = the pretrained base; checkpoints inside the first)"
    for (const p of picks.filter((x) => x.includes("picked by weak"))) assert.strictEqual(valueOf(p, axis), 1)
    for (const p of picks.filter((x) => x.includes("pool"))) assert.strictEqual(valueOf(p, axis), 0)
    assert.include(texts(svg), axis)
  })

  it("epochs: seeds whose checkpoints fall at different fractions still get every pick drawn, at the seeds' mean position", async () => {
    // each seed's split has its own size, so its steps per epoch and its checkpoints' fractions differ
    const metrics = grid().filter((m) => m.weak === "s0" && m.strong === "s3" && m.method === "naive").map((m) => ({
      ...m,
      epochs: [0, 0.5 + 0.01 * m.seed, 1 + 0.01 * m.seed],
      checkpoints: m.checkpoints.map((c) => ({ ...c, epoch: c.epoch === 0 ? 0 : c.epoch === 1 ? 0.5 + 0.01 * m.seed : 1 + 0.01 * m.seed }))
    }))
    const sweep = summarize(metrics, summaryOf(metrics), "params")
    const cell = sweep.cells[0]!
    assert.deepStrictEqual(cell.epochs.map((e) => Math.round(e * 1000) / 1000), [0, 0.51, 1.01])
    assert.strictEqual(cell.picked.filter((p) => p.rule === "weak-val").length, 3)
    for (const p of cell.picked.filter((x) => x.rule === "weak-val")) assert.strictEqual(p.index, 1)
    const svg = (await render("epochs", specs.epochs(sweep), style)).svg
    const picks = marks(svg, "point").filter((p) => p.includes("picked by weak-labelled validation"))
    assert.strictEqual(picks.length, 3)
    for (const p of picks) close(valueOf(p, "fine-tuning epochs (0 = the pretrained base; checkpoints inside the first)"), 0.51)
  })

  it("the x axis can show training compute instead", async () => {
    const svg = (await render("pgr", specs.pgr(sweepOf(grid(), "compute")), style)).svg
    assert.include(texts(svg), "strong student training compute, FLOPs incl. pretraining (log scale)")
  })

  it("the PNG shows the text (bundled font) and the data in the series colours", async () => {
    const fig = await render("accuracy", specs.accuracy(sweep), { ...style, scale: 2 })
    const png = PNG.sync.read(Buffer.from(fig.png!))
    const width = Number(fig.svg.match(/<svg[^>]* width="([0-9.]+)"/)![1])
    assert.strictEqual(png.width, Math.round(width * 2))
    const count = (img: PNG, pred: (r: number, g: number, b: number) => boolean) => {
      let n = 0
      for (let i = 0; i < img.data.length; i += 4) if (pred(img.data[i]!, img.data[i + 1]!, img.data[i + 2]!)) n++
      return n
    }
    const dark = (r: number, g: number, b: number) => r < 90 && g < 90 && b < 90
    // tableau10's first two colours: the two supervisors' lines and points
    const blue = (r: number, g: number, b: number) => Math.abs(r - 0x4c) < 20 && Math.abs(g - 0x78) < 20 && Math.abs(b - 0xa8) < 20
    const orange = (r: number, g: number, b: number) => Math.abs(r - 0xf5) < 20 && Math.abs(g - 0x85) < 20 && Math.abs(b - 0x18) < 20
    assert.isAbove(count(png, blue), 200)
    assert.isAbove(count(png, orange), 200)
    // Without its text elements the same figure has far fewer dark pixels: the text was drawn.
    const bare = PNG.sync.read(Buffer.from(await rasterize(fig.svg.replace(/<text[^>]*>[^<]*<\/text>/g, ""), 2)))
    const withText = count(png, dark)
    const withoutText = count(bare, dark)
    assert.isAbove(withText - withoutText, 5_000, `${withText} dark pixels with text, ${withoutText} without`)
  })
})
