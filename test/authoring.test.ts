// docs/authoring.md, executed as a new user would: `npm pack` this package, install the tarball into
// an empty project with `npm install` (from npm's local cache where it can), write the guide's
// `file:` blocks there, and run its commands through the installed `pipeline` binary. The first
// run computes, the second is all cached, a param change re-runs only the downstream nodes; the
// guide's memory-store check runs against the installed library; a syntax error and a type error
// in a user's file are one line naming file:line (exit 2). Slow (an npm install): one project is
// shared by the tests of this file.
import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"

const guide = readFileSync(resolve("docs/authoring.md"), "utf8")

/** The guide's code blocks: those marked `<!-- file: NAME -->` joined per file, and the `<!-- run -->` commands. */
export const blocks = (text: string) => {
  const files = new Map<string, string>()
  const commands: Array<string> = []
  for (const m of text.matchAll(/<!-- (file: ([^ ]+)|run) -->\n```\w+\n([\s\S]*?)```/g)) {
    if (m[2]) {
      const prior = files.get(m[2])
      // later blocks of a file continue it; their imports were given by the first block
      files.set(m[2], prior === undefined ? m[3]! : `${prior}\n${m[3]!}`)
    } else {
      for (const line of m[3]!.split("\n")) {
        const cmd = line.replace(/\s+#.*$/, "").trim()
        if (cmd) commands.push(cmd)
      }
    }
  }
  return { files, commands }
}

const { files, commands } = blocks(guide)
let project = ""
let packDir = ""
const npmEnv = { ...process.env, npm_config_fund: "false", npm_config_audit: "false", npm_config_update_notifier: "false" }

/** A command line of the guide (`npx pipeline ...`), run in the project through the installed binary. */
const sh = (line: string, env: Record<string, string> = {}) => {
  const [cmd, ...args] = line.split(/\s+/)
  const argv = cmd === "npx" && args[0] === "pipeline" ? [join(project, "node_modules", ".bin", "pipeline"), ...args.slice(1)] : [cmd!, ...args]
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: project, encoding: "utf8", env: { ...process.env, CI: "1", ...env }, timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe("docs/authoring.md in a project that installed the packed package", () => {
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), "w2s-authoring-"))
    packDir = mkdtempSync(join(tmpdir(), "w2s-authoring-pack-"))
    // prepare (the build) runs as part of npm pack
    const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", packDir], { encoding: "utf8", env: npmEnv }).trim().split("\n").pop()!
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "my-experiments", private: true, type: "module" }))
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", join(packDir, tarball), "typescript@5.9.3"], {
      cwd: project,
      env: npmEnv,
      stdio: "ignore"
    })
    for (const [name, text] of files) writeFileSync(join(project, name), text)
  }, 300_000)

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true })
    if (packDir) rmSync(packDir, { recursive: true, force: true })
  })

  it("has the blocks the test relies on", () => {
    assert.deepStrictEqual([...files.keys()].sort(), ["my-pipeline.check.ts", "my-pipeline.ts"])
    assert.include(commands, "npx pipeline run ./my-pipeline.ts --set factor=3")
  })

  it("runs every command of the guide: computes, then all cached, then only what a param change reaches", () => {
    const outcomes = commands.map((line) => ({ line, ...sh(line) }))
    for (const o of outcomes) assert.strictEqual(o.code, 0, `${o.line}\n${o.stderr}`)
    const runs = outcomes.filter((o) => o.line.startsWith("npx pipeline run"))
    assert.match(runs[0]!.stdout, /demo \(preset default\): 5 ran, 0 cached/)
    assert.match(runs[1]!.stdout, /demo \(preset default\): 0 ran, 5 cached/)
    assert.match(runs[2]!.stdout, /demo \(preset default\): 3 ran, 2 cached/)
    assert.match(runs[2]!.stderr, /run\s+scale\/1\s+params changed \(factor: 2 -> 3\)/)
    assert.notMatch(runs[2]!.stderr, /run\s+generate\//)
    const params = outcomes.find((o) => o.line.startsWith("npx pipeline params"))!.stdout
    assert.match(params, /factor\s+number\s+2\s+what every number is multiplied by/)
    const plan = outcomes.find((o) => o.line.startsWith("npx pipeline plan"))!.stdout
    assert.match(plan, /params changed from preset default: factor: 2 -> 3/)
    assert.deepStrictEqual(JSON.parse(readFileSync(join(project, "summary.json"), "utf8")).count, 2000)
  }, 240_000)

  it("the guide's memory-store check passes against the installed library", () => {
    const esbuild = join(project, "node_modules", ".bin", "esbuild")
    execFileSync(esbuild, ["my-pipeline.check.ts", "--bundle", "--platform=node", "--format=esm", "--packages=external", "--outfile=check.mjs", "--log-level=warning"], { cwd: project })
    const r = spawnSync(process.execPath, ["check.mjs"], { cwd: project, encoding: "utf8", timeout: 60_000 })
    assert.strictEqual(r.status, 0, r.stderr)
    assert.match(r.stdout, /^ok; factor=4 would re-run scale\/1, summary/)
  }, 60_000)

  it("a project's pipelines/ folder is found from a subfolder; a syntax error and a type error name file:line, exit 2", () => {
    mkdirSync(join(project, "pipelines"))
    writeFileSync(join(project, "pipelines", "demo.ts"), files.get("my-pipeline.ts")!.replace(/from "\.\/my-pipeline\.ts"/, ""))
    mkdirSync(join(project, "pipelines", "sub"))
    const listed = spawnSync(join(project, "node_modules", ".bin", "pipeline"), ["list"], { cwd: join(project, "pipelines", "sub"), encoding: "utf8" })
    assert.strictEqual(listed.status, 0, listed.stderr)
    assert.match(listed.stdout, /^demo\s+default\*,small\s+numbers per seed/m)
    rmSync(join(project, "pipelines"), { recursive: true })

    const source = files.get("my-pipeline.ts")!
    const lines = source.split("\n")
    const at = lines.findIndex((l) => l.startsWith("const Params"))
    writeFileSync(join(project, "broken.ts"), [...lines.slice(0, at), "const Params = Schema.Struct({ n: ) })", ...lines.slice(at + 1)].join("\n"))
    const broken = sh("npx pipeline run ./broken.ts")
    assert.strictEqual(broken.code, 2)
    assert.match(broken.stderr, new RegExp(`^error: broken\\.ts:${at + 1}:\\d+: `))
    assert.strictEqual(broken.stderr.trim().split("\n").length, 1, broken.stderr)

    // a wiring mistake only the types show: a string where the stage's params want an int
    writeFileSync(join(project, "typo.ts"), source.replace("params: { n: p.n, seed }", "params: { n: String(p.n), seed }"))
    const typo = sh("npx pipeline plan ./typo.ts")
    assert.strictEqual(typo.code, 2, typo.stderr)
    const line = source.split("\n").findIndex((l) => l.includes("params: { n: p.n, seed }")) + 1
    assert.match(typo.stderr, new RegExp(`^error: typo\\.ts:${line}:\\d+: type error TS\\d+: `))
    assert.strictEqual(sh("npx pipeline plan ./typo.ts", { PIPELINE_TYPECHECK: "0" }).code, 2, "the graph check refuses it too")
  }, 180_000)
})
