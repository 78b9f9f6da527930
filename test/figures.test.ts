// The paper figures: summaries over seeds checked by hand, and each rendered figure read back: the
// SVG must hold the expected title, axis titles, legend entries and one mark per data point with
// the right value; the PNG must show text (in the bundled font) and data in the series colours.
import { assert, describe, it } from "@effect/vitest"
import { PNG } from "pngjs"
import { rasterize, render, type Style } from "../stages/figures/vega.ts"
import { type FigureName, si, specs, summarize } from "../stages/figures/w2s.ts"

interface Metric {
  weak: string
  strong: string
  method: string
  seed: number
  n: number
  accWeak: number
  accStudent: number
  accCeiling: number
  accZeroShot: number
  pgr: number | null
  pgrByEpoch: Array<number | null>
  agreeWhenWeakRight: number
  agreeWhenWeakWrong: number
  strongParams: number
  strongFlops: number
  weakParams: number
}

const PARAMS: Record<string, number> = { s0: 1_000, s1: 4_000, s2: 16_000, s3: 64_000 }
const WEAK: Record<string, number> = { s0: 0.2, s1: 0.25 }
const CEIL: Record<string, number> = { s2: 0.4, s3: 0.5 }
const TRUE_PGR: Record<string, number> = { naive: 0.3, auxconf: 0.5, bootstrap: 0.1 }

/** A 2 x 2 grid, naive and auxconf everywhere, bootstrap only s0 -> s3, three seeds. */
const grid = (): Array<Metric> => {
  const out: Array<Metric> = []
  for (const weak of ["s0", "s1"]) {
    for (const strong of ["s2", "s3"]) {
      for (const method of ["naive", "auxconf", "bootstrap"]) {
        if (method === "bootstrap" && !(weak === "s0" && strong === "s3")) continue
        for (const seed of [0, 1, 2]) {
          const accWeak = WEAK[weak]! + 0.01 * seed
          const accCeiling = CEIL[strong]! - 0.01 * seed
          const pgr = TRUE_PGR[method]! + 0.05 * (seed - 1)
          const accStudent = accWeak + pgr * (accCeiling - accWeak)
          out.push({
            weak, strong, method, seed, n: 500, accWeak, accStudent, accCeiling, accZeroShot: 0.05, pgr,
            pgrByEpoch: [pgr + 0.1, pgr + 0.05, pgr],
            agreeWhenWeakRight: 0.9 - 0.1 * seed, agreeWhenWeakWrong: 0.5 - 0.1 * seed,
            strongParams: PARAMS[strong]!, strongFlops: PARAMS[strong]! * 1e6 + seed, weakParams: PARAMS[weak]!
          })
        }
      }
    }
  }
  return out
}

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
const median3 = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[1]!

describe("summaries over seeds", () => {
  it("take medians per (weak, strong, method), one ceiling per strong size and one accuracy per supervisor", () => {
    const m = grid()
    const sweep = summarize(m, "params")
    assert.strictEqual(sweep.cells.length, 9)
    assert.strictEqual(sweep.seeds, 3)
    const cell = sweep.cells.find((c) => c.weak === "s0" && c.strong === "s3" && c.method === "auxconf")!
    const rows = m.filter((r) => r.weak === "s0" && r.strong === "s3" && r.method === "auxconf")
    close(cell.accStudent.med, median3(rows.map((r) => r.accStudent)))
    close(cell.pgr!.med, 0.5)
    assert.isTrue(cell.accStudent.lo <= cell.accStudent.med && cell.accStudent.med <= cell.accStudent.hi)
    assert.deepStrictEqual(cell.pgrByEpoch.map((x) => Math.round(x! * 1e9) / 1e9), [0.6, 0.55, 0.5])
    assert.strictEqual(cell.pair, "s0 → s3")
    assert.strictEqual(cell.x, 64_000)
    assert.deepStrictEqual(sweep.ceilings.map((c) => [c.strong, c.x]), [["s2", 16_000], ["s3", 64_000]])
    close(sweep.ceilings[1]!.acc.med, 0.49)
    assert.deepStrictEqual(sweep.supervisors.map((s) => s.supervisor), ["s0 (1k params)", "s1 (4k params)"])
    close(sweep.supervisors[0]!.acc.med, 0.21)
    // compute on the x axis: the median over seeds of the students' FLOPs
    assert.strictEqual(summarize(m, "compute").cells.find((c) => c.strong === "s2")!.x, 16_000 * 1e6 + 1)
  })

  it("a PGR that is undefined on every seed (ceiling not above the supervisor) stays null", () => {
    const m = grid().map((r) => (r.strong === "s2" ? { ...r, pgr: null } : r))
    const sweep = summarize(m, "params")
    assert.isNull(sweep.cells.find((c) => c.strong === "s2")!.pgr)
    assert.isNotNull(sweep.cells.find((c) => c.strong === "s3")!.pgr)
  })

  it("si formats sizes as a reader writes them", () => {
    assert.deepStrictEqual([si(950), si(52_000), si(2_759_680), si(3.1e12)], ["950", "52k", "2.8M", "3.1T"])
  })
})

describe("rendered figures hold their marks and labels", () => {
  const sweep = summarize(grid(), "params")
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
    assert.strictEqual(points.length, 4 + 2)
    const acc = points.map((p) => valueOf(p, "test accuracy (top-1 move)")).sort()
    const want = [...["s0", "s1"].flatMap((w) => ["s2", "s3"].map((s) => cell(w, s, "naive").accStudent.med)), ...sweep.ceilings.map((c) => c.acc.med)].sort()
    acc.forEach((a, i) => assert.isBelow(Math.abs(a - want[i]!), 1e-9))
  })

  it("pgr: one point per (supervisor, student) at the median PGR, and the zero line", async () => {
    const svg = await svgOf("pgr")
    const points = marks(svg, "point")
    assert.strictEqual(points.length, 4)
    for (const p of points) close(valueOf(p, "performance gap recovered (PGR)"), 0.3)
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
    const onlyAux = summarize(grid().filter((m) => m.method === "auxconf") as never, "params")
    for (const name of ["accuracy", "pgr"] as const) {
      const text = allText((await render(name, specs[name](onlyAux), style)).svg)
      assert.include(text, "No naive fine-tuning runs (method 'naive') in this sweep (methods run: auxconf)", name)
    }
    const onlyNaive = summarize(grid().filter((m) => m.method === "naive") as never, "params")
    assert.include(allText((await render("auxconf", specs.auxconf(onlyNaive), style)).svg), "No auxiliary-confidence runs (method 'auxconf') in this sweep (methods run: naive): only naive fine-tuning is drawn.")
    // the full grid has both: no such line, while its other subtitle lines are there
    for (const name of ["accuracy", "pgr", "auxconf"] as const) {
      const text = allText(await svgOf(name))
      assert.notInclude(text, "in this sweep (methods run")
      assert.include(text, "Medians over 3 seeds")
    }
  })

  it("auxconf: PGR of both methods for every pair", async () => {
    const svg = await svgOf("auxconf")
    const points = marks(svg, "point")
    assert.strictEqual(points.length, 8)
    for (const p of points.filter((x) => x.includes("method: auxconf"))) close(valueOf(p, "performance gap recovered (PGR)"), 0.5)
  })

  it("agreement: every cell in each of the two panels, as percentages", async () => {
    const svg = await svgOf("agreement")
    const points = marks(svg, "point")
    assert.strictEqual(points.length, 18)
    assert.includeMembers(texts(svg), ["supervisor right", "supervisor wrong", "student agrees with supervisor", "100%"])
  })

  it("summary: four bars per pair and the best method named", async () => {
    const svg = await svgOf("summary")
    const bars = marks(svg, "bar")
    assert.strictEqual(bars.length, 16)
    const t = texts(svg)
    assert.includeMembers(t, ["s0 → s2", "s1 → s3", "weak supervisor", "naive student", "best method", "strong ceiling", "auxconf"])
  })

  it("epochs: one point per epoch of each naive and auxconf cell", async () => {
    const svg = await svgOf("epochs")
    assert.strictEqual(marks(svg, "point").length, 8 * 3)
    assert.include(texts(svg), "fine-tuning epoch")
  })

  it("the x axis can show training compute instead", async () => {
    const svg = (await render("pgr", specs.pgr(summarize(grid(), "compute")), style)).svg
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
