// `node scripts/compare-caches.mjs CACHE OTHER [PIPELINE]`: for every node CACHE has a record of
// (its latest), whether OTHER holds a record of the same node id whose outputs have the same content
// hashes, i.e. the same bytes. For checking that a run on another machine, Node or commit
// reproduced one made before. Prints the counts and the nodes that differ or that OTHER lacks.
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const [cache, other, pipeline = "w2s-chess"] = process.argv.slice(2)
if (!cache || !other) {
  console.error("usage: node scripts/compare-caches.mjs CACHE OTHER [PIPELINE]")
  process.exit(2)
}
const records = (root) =>
  readdirSync(join(root, "records")).flatMap((d) =>
    readdirSync(join(root, "records", d)).map((f) => {
      const text = readFileSync(join(root, "records", d, f), "utf8")
      return JSON.parse(text.slice(text.indexOf("\n") + 1))
    })
  ).filter((r) => r.pipeline === pipeline)
const outputs = (r) => JSON.stringify(Object.entries(r.outputs).map(([k, v]) => [k, v.hash]).sort())
const known = new Map()
for (const r of records(other)) known.set(r.node, (known.get(r.node) ?? new Set()).add(outputs(r)))
const latest = new Map()
for (const r of records(cache)) if (!latest.has(r.node) || latest.get(r.node).finishedAt < r.finishedAt) latest.set(r.node, r)
const same = [], differ = [], missing = []
for (const [node, r] of latest) (!known.has(node) ? missing : known.get(node).has(outputs(r)) ? same : differ).push(node)
console.log(`${latest.size} nodes in ${cache}: ${same.length} with the same output bytes as a record in ${other}, ${differ.length} differ, ${missing.length} have no record there`)
if (differ.length) console.log(`differ: ${differ.sort().join(" ")}`)
if (missing.length) console.log(`no record: ${missing.sort().join(" ")}`)
process.exit(differ.length ? 1 : 0)
