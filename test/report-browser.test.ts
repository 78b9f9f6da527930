// The run report in a real browser: the toy pipeline's `plot` preset is run through the CLI, which
// writes report.html; headless Chromium (Debian's `chromium`, driven by puppeteer-core over a pipe)
// opens it with every request logged and any other than the page itself refused, and the test reads
// the DOM (the figure's marks, the results table's rows, the graph's nodes and statuses) and
// screenshots (each part is drawn, in the status colours) and checks that nothing was fetched.
// Skipped, saying so, where no Chromium is installed (`.ci/run` installs it).
import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import { PNG } from "pngjs"
import { cli, tempCache } from "./cli-helpers.ts"

const chromium = ["chromium", "chromium-browser", "google-chrome"]
  .map((name) => spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim())
  .find((path) => path !== "")
if (!chromium) console.warn("report-browser.test.ts: skipped, no chromium on PATH (apt-get install chromium; .ci/run does)")

/** How many pixels of a PNG are within `tol` of the colour `hex`. */
const pixels = (png: Uint8Array, hex: string, tol = 6) => {
  const img = PNG.sync.read(Buffer.from(png))
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
  let n = 0
  for (let i = 0; i < img.data.length; i += 4) {
    if (Math.abs(img.data[i]! - r!) <= tol && Math.abs(img.data[i + 1]! - g!) <= tol && Math.abs(img.data[i + 2]! - b!) <= tol) n++
  }
  return n
}
const notWhite = (png: Uint8Array) => {
  const img = PNG.sync.read(Buffer.from(png))
  let n = 0
  for (let i = 0; i < img.data.length; i += 4) if (img.data[i]! < 200 || img.data[i + 1]! < 200 || img.data[i + 2]! < 200) n++
  return n
}

describe.skipIf(!chromium)("the run report in headless Chromium", () => {
  it("shows the figure, the results table and the graph with statuses, and fetches nothing", async () => {
    const cache = tempCache()
    const out = join(dirname(cache), "figures")
    const r = cli(["run", "toy", "--preset", "plot", "--out", out, "--cache-dir", cache])
    assert.strictEqual(r.code, 0, r.stderr)
    const file = join(out, "report.html")
    assert.match(r.stdout, /report: .*report\.html/)
    assert.isTrue(existsSync(file))
    const html = readFileSync(file, "utf8")
    assert.notMatch(html, /<script|<link|<img|@import|url\(|src=/i, "no scripts, stylesheets, images or fonts to fetch")

    const puppeteer = (await import("puppeteer-core")).default
    const browser = await puppeteer.launch({
      executablePath: chromium!,
      headless: true,
      pipe: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
    })
    try {
      const page = await browser.newPage()
      const url = pathToFileURL(file).href
      const requests: Array<string> = []
      await page.setRequestInterception(true)
      page.on("request", (req) => {
        requests.push(req.url())
        void (req.url() === url ? req.continue() : req.abort())
      })
      await page.setViewport({ width: 1400, height: 1000 })
      await page.goto(url, { waitUntil: "load" })

      // the figure: an inline SVG with one bar per seed
      const figure = await page.$eval(".figure", (el) => ({
        title: el.querySelector("h3")?.textContent ?? "",
        bars: el.querySelectorAll("svg path[aria-roledescription='bar'], svg .mark-rect path").length,
        width: el.querySelector("svg")!.getBoundingClientRect().width
      }))
      assert.include(figure.title, "Mean of the clipped numbers per seed")
      assert.strictEqual(figure.bars, 3)
      assert.isAbove(figure.width, 100)

      // the results table: a row per seed, the columns of the toy's summary
      const table = await page.$eval("table.results", (t) => ({
        head: [...t.querySelectorAll("thead th")].map((th) => th.textContent),
        rows: [...t.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent))
      }))
      assert.deepStrictEqual(table.head, ["seed", "count", "sumSquares", "mean"])
      assert.deepStrictEqual(table.rows.map((row) => row[0]), ["1", "2", "3"])
      const spread = await page.$eval("table.spread", (t) => ({
        head: [...t.querySelectorAll("thead th")].map((th) => th.textContent),
        rows: [...t.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent))
      }))
      assert.deepStrictEqual(spread.head, ["seeds", "sumSquares", "mean"], "the seeds' spread of what differs between them (not count)")
      assert.strictEqual(spread.rows.length, 1)
      assert.match(spread.rows[0]![2]!, /^49\.33 ± 0\.5994 \[48\.67, 49\.83\]$/)

      // the graph: every node with its status, the critical path marked
      const nodes = await page.$$eval("svg.dag .dag-node", (gs) => gs.map((g) => [g.getAttribute("data-id"), g.getAttribute("data-status"), g.getAttribute("data-critical")]))
      assert.strictEqual(nodes.length, 17)
      assert.isTrue(nodes.every(([, status]) => status === "ran"), JSON.stringify(nodes))
      assert.includeMembers(nodes.filter(([, , c]) => c === "true").map(([id]) => id), ["summary", "plot"])
      assert.strictEqual(await page.$$eval("table.nodes > tbody > tr", (rows) => rows.length), 17)
      assert.match(await page.$eval("#command", (el) => el.textContent ?? ""), /^pipeline run toy --preset plot$/)

      // screenshots: each part is drawn (not blank), the bars in the figure's colour, the graph's
      // nodes in the colour of their status
      const shot = async (selector: string) => (await (await page.$(selector))!.screenshot({ type: "png" })) as Uint8Array
      const fig = await shot(".figure svg")
      assert.isAbove(pixels(fig, "#4c78a8", 10), 2000, "the bars, in tableau10's first colour")
      assert.isAbove(notWhite(await shot("table.results")), 500)
      assert.isAbove(pixels(await shot("svg.dag"), "#9fd89f"), 5000, "nodes that ran, in green")
      const full = (await page.screenshot({ type: "png", fullPage: true })) as Uint8Array
      assert.isAbove(PNG.sync.read(Buffer.from(full)).height, 1000)

      assert.deepStrictEqual(requests, [url], "the page made no request but for itself")
      const resources = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name))
      assert.deepStrictEqual(resources, [])
    } finally {
      await browser.close()
    }
  }, 120_000)
})
