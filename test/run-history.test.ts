// The run history through the CLI: `runs` lists every run with how it ended (an interrupted one as
// interrupted) and shows one with the plain log it kept; `diff` names the params and results that
// changed between two runs; `results` and `report` given no params use the last run's and say so;
// the progress count of the plain lines adds up at the end; bad input is exit 2 with one line.
import { assert, describe, it } from "@effect/vitest"
import { mkdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { cli, start, tempCache } from "./cli-helpers.ts"

/** The numbers of the last `total` line of a run's plain log. */
const total = (stderr: string) => {
  const line = stderr.split("\n").filter((l) => / total {5}/.test(l)).at(-1)
  assert.isDefined(line, stderr)
  const n = (what: string) => Number(new RegExp(`(\\d+) ${what}`).exec(line!)?.[1])
  return { done: n("done"), cached: n("cached"), running: n("running"), failed: n("failed"), toRun: n("to run"), of: Number(/(\d+) nodes:/.exec(line!)?.[1]) }
}

describe("run history", () => {
  it("runs lists each run and shows one with its log; a run stopped by SIGINT is listed as interrupted", async () => {
    const cache = tempCache()
    const first = cli(["run", "toy", "--cache-dir", cache])
    assert.strictEqual(first.code, 0, first.stderr)
    const t = total(first.stderr)
    assert.deepStrictEqual(t, { done: 11, cached: 0, running: 0, failed: 0, toRun: 0, of: 11 })

    const child = start(["run", "toy", "--preset", "slow", "--set", "seeds=[7,8,9]", "--jobs", "1", "--cache-dir", cache])
    let err = ""
    child.stderr.on("data", (d: Buffer) => (err += d.toString()))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no node finished: ${err}`)), 30_000)
      const poll = setInterval(() => {
        if (/ done {6}numbers\/7/.test(err)) {
          clearTimeout(timer)
          clearInterval(poll)
          resolve()
        }
      }, 50)
    })
    child.kill("SIGINT")
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    assert.strictEqual(code, 130, err)

    const list = cli(["runs", "--cache-dir", cache])
    assert.strictEqual(list.code, 0, list.stderr)
    const lines = list.stdout.trim().split("\n")
    assert.match(lines[0]!, /^id +pipeline +params +targets +started +took +nodes +ended$/)
    assert.strictEqual(lines.length, 3)
    assert.match(lines[1]!, /toy +--preset default +all .* 11 ran, 0 cached +ok$/)
    assert.match(lines[2]!, /toy +--preset slow --set seeds=\[7,8,9\] +all .*cancelled +interrupted$/)

    const shown = cli(["runs", "last", "--cache-dir", cache])
    assert.strictEqual(shown.code, 0, shown.stderr)
    assert.match(shown.stdout, /^ended +interrupted \(exit 130\)$/m)
    assert.match(shown.stdout, /^log:\n.* plan {6}toy: 16 to run, 0 cached of 16\n/m, "the plain log, kept")
    assert.match(shown.stdout, / done {6}numbers\/7 .*\[16 nodes: 1 done, 0 cached, /)
    const id = lines[1]!.split(/ +/)[0]!
    // a prefix that keeps part of the id's random tail (its first 20 characters, the time and part of
    // the pid, can be shared by two runs started in the same second)
    assert.match(cli(["runs", id.slice(0, -3), "--cache-dir", cache]).stdout, /^ended +ok \(exit 0\)$/m, "a unique prefix names a run")

    for (const [args, message] of [
      [["runs", "nosuch"], /^error: .*run.*nosuch/],
      [["runs", "last~5"], /^error: no run 'last~5': the history holds 2 runs\n$/],
      [["diff", "last", "nosuch"], /^error: .*nosuch/]
    ] as const) {
      const r = cli([...args, "--cache-dir", cache])
      assert.strictEqual(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`)
      assert.match(r.stderr, message)
    }
  }, 90_000)

  it("diff names the changed param and the changed results; results and report use the last run's params and say so", () => {
    const cache = tempCache()
    assert.strictEqual(cli(["run", "toy", "--cache-dir", cache]).code, 0)
    const second = cli(["run", "toy", "--set", "clip=40", "--cache-dir", cache])
    assert.strictEqual(second.code, 0, second.stderr)
    const t = total(second.stderr)
    assert.strictEqual(t.done + t.cached + t.failed, t.of)
    assert.deepStrictEqual([t.cached, t.of], [2, 11])

    const d = cli(["diff", "last~1", "last", "--cache-dir", cache])
    assert.strictEqual(d.code, 0, d.stderr)
    assert.match(d.stdout, /^params:\n {2}clip: 90 -> 40\n\n/m)
    assert.notMatch(d.stdout, /^ {2}(n|seeds|sleepMs):/m, "only what changed")
    const table = d.stdout.slice(d.stdout.indexOf("results (summary.table):")).split("\n").slice(1).filter(Boolean)
    assert.match(table[0]!, /^seed +sumSquares A +sumSquares B +delta +mean A +mean B +delta$/, "count is the same in both: not shown")
    assert.strictEqual(table.length, 3)
    for (const row of table.slice(1)) {
      const [, a, b, delta] = row.trim().split(/ +/).map(Number)
      assert.isBelow(b!, a!)
      assert.closeTo(delta!, b! - a!, Math.abs(a!) * 1e-3)
    }
    assert.match(cli(["diff", "last", "last", "--cache-dir", cache]).stdout, /params: the same\n[\s\S]*the same in both runs \(2 rows\)/)
    // one side may be params (or a preset) read against the other side's run
    const what = cli(["diff", "last", "clip=30 n=10", "--cache-dir", cache])
    assert.strictEqual(what.code, 0, what.stderr)
    assert.match(what.stdout, /^B params clip=30 n=10 {2}toy --preset default --set n=10 --set clip=30$/m)
    assert.match(what.stdout, /^ {2}clip: 40 -> 30\n {2}n: 1000 -> 10\n/m)
    assert.match(what.stdout, /not computed for the params of params clip=30 n=10: run `pipeline run toy --preset default --set n=10 --set clip=30`/)
    assert.match(cli(["diff", "@default", "last", "--cache-dir", cache]).stdout, /^ {2}clip: 90 -> 40\n\nresults \(summary\.table\):\nseed +sumSquares A/m)
    const neither = cli(["diff", "@default", "clip=3", "--cache-dir", cache])
    assert.strictEqual(neither.code, 2)
    assert.match(neither.stderr, /^error: one of A and B must name a run/)

    const last = cli(["results", "toy", "--format", "json", "--cache-dir", cache])
    assert.strictEqual(last.code, 0, last.stderr)
    assert.match(last.stderr, /^using the params of the last run of toy \(\S+: --preset default --set clip=40\); --preset or --set for others\n$/)
    assert.strictEqual(last.stdout, cli(["results", "toy", "--set", "clip=40", "--format", "json", "--cache-dir", cache]).stdout)
    assert.notStrictEqual(last.stdout, cli(["results", "toy", "--preset", "default", "--format", "json", "--cache-dir", cache]).stdout)

    const dir = join(dirname(cache), "out")
    mkdirSync(dir)
    const report = cli(["report", "toy", "--out", join(dir, "r.html"), "--cache-dir", cache])
    assert.strictEqual(report.code, 0, report.stderr)
    assert.match(report.stderr, /using the params of the last run of toy/)
    const html = readFileSync(join(dir, "r.html"), "utf8")
    assert.include(html, "pipeline run toy --preset default --set clip=40")
    assert.include(html, `data-table="summary.table"`)
    const bad = cli(["report", "toy", "--out", dir, "--cache-dir", cache])
    assert.strictEqual(bad.code, 2)
    assert.match(bad.stderr, /^error: --out .* is a folder; it names the HTML file to write\n$/)
    assert.strictEqual(cli(["report", "toy", "--preset", "nosuch", "--out", join(dir, "x.html"), "--cache-dir", cache]).code, 2)
  }, 90_000)
})
