// `node scripts/compare-caches.mjs CACHE OTHER [PIPELINE]`: for every record in CACHE, whether OTHER
// holds a record of the same node id, with the same params and the same input hashes (the same input
// bytes), whose outputs have the same content hashes, i.e. the same bytes. For checking that a run
// on another machine, Node or commit reproduced one made before (code changes re-key nodes, so keys
// are not compared). Prints the counts and the records that differ or that OTHER lacks; exits 1 if
// any differ or are missing.
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const [cache, other, pipeline = "w2s-chess"] = process.argv.slice(2)
if (!cache || !other) {
  console.error("usage: node scripts/compare-caches.mjs CACHE OTHER [PIPELINE]")
  process.exit(2)
}
const records = (root) =>
  readdirSync(join(root, "records"), { withFileTypes: true }).filter((d) => d.isDirectory()).flatMap((d) =>
    readdirSync(join(root, "records", d.name)).filter((f) => f.endsWith(".json")).map((f) => {
      const text = readFileSync(join(root, "records", d.name, f), "utf8")
      return JSON.parse(text.slice(text.indexOf("\n") + 1))
    })
  ).filter((r) => r.pipeline === pipeline)
const sorted = (o) => JSON.stringify(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)))
const what = (r) => `${r.node} ${JSON.stringify(r.params)} ${sorted(r.inputs)}`
const outputs = (r) => sorted(Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.hash])))
const known = new Map()
for (const r of records(other)) known.set(what(r), (known.get(what(r)) ?? new Set()).add(outputs(r)))
const mine = records(cache)
const same = [], differ = [], missing = []
for (const r of mine) (!known.has(what(r)) ? missing : known.get(what(r)).has(outputs(r)) ? same : differ).push(r.node)
const nodes = new Set(mine.map((r) => r.node)).size
console.log(`${mine.length} records (${nodes} nodes) in ${cache}: ${same.length} with the same output bytes as a record of the same node, params and inputs in ${other}, ${differ.length} differ, ${missing.length} have no such record there`)
if (differ.length) console.log(`differ: ${differ.sort().join(" ")}`)
if (missing.length) console.log(`no record: ${missing.sort().join(" ")}`)
process.exit(differ.length || missing.length ? 1 : 0)
