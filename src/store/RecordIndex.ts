/**
 * The record index of a disk store (`index/records.json`): records already read and digest-checked,
 * each with the signature (size, mtime, ctime, inode) its file had then. A lookup whose record file
 * still has that signature takes the parsed record from the index instead of reading and checking
 * the file again, so a no-op plan of N nodes costs N stats, not N reads. Any write to a record file
 * changes its signature (ctime cannot be set back), so an edited or damaged record is read and
 * checked again. The index carries a digest of its body; a damaged or stale index is ignored, never
 * trusted. Part of the disk layer of `Records`; nothing else reads it.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import { sha256 } from "../Key.ts"
import type { Committed } from "../Record.ts"
import { writeAtomic } from "./Disk.ts"

/** A file's size, mtime, ctime (ms) and inode: compared as numbers, never formatted. */
export type Signature = readonly [number, number, number, number]

export const signature = (st: fs.Stats): Signature => [st.size, st.mtimeMs, st.ctimeMs, st.ino]
export const sameSignature = (st: fs.Stats, sig: Signature): boolean =>
  st.size === sig[0] && st.mtimeMs === sig[1] && st.ctimeMs === sig[2] && st.ino === sig[3]

/** A record read and checked before: its file's signature then, and what a plan needs of it. */
export interface IndexEntry {
  readonly sig: Signature
  readonly record: Committed
}

const INDEX_HEADER = "w2s-index/3 sha256:"
const INDEX_MIN_ENTRIES = 2_000

const encodeIndex = (entries: ReadonlyMap<string, IndexEntry>): string => {
  const body = JSON.stringify([...entries].map(([k, e]) => [k, e.sig, e.record.outputs])) + "\n"
  return `${INDEX_HEADER}${sha256(body)}\n${body}`
}

/** The index's entries, or undefined when its digest does not match (then it is ignored). */
const decodeIndex = (text: string): Map<string, IndexEntry> | undefined => {
  const nl = text.indexOf("\n")
  if (!text.startsWith(INDEX_HEADER) || nl < 0) return undefined
  const body = text.slice(nl + 1)
  if (sha256(body) !== text.slice(INDEX_HEADER.length, nl)) return undefined
  const rows = JSON.parse(body) as Array<[string, Signature, Committed["outputs"]]>
  const entries = new Map<string, IndexEntry>()
  for (const row of rows) {
    // only a writer with a bug (or a forger who also fixed the digest) could make rows of another shape
    if (!Array.isArray(row) || typeof row[0] !== "string" || !Array.isArray(row[1]) || typeof row[2] !== "object" || row[2] === null) return undefined
    const [key, sig, outputs] = row
    entries.set(key, { sig, record: { key, outputs } })
  }
  return entries
}

/** The index of one store directory as this process sees it: loaded on first use, saved on request. */
export const makeIndex = (indexPath: string, tmpDir: string) => {
  let index: Map<string, IndexEntry> | undefined
  const touched = new Map<string, IndexEntry>()
  let dirty = false
  const load = (): Map<string, IndexEntry> => {
    if (index) return index
    index = new Map()
    try {
      const parsed = decodeIndex(fs.readFileSync(indexPath, "utf8"))
      if (parsed) index = parsed
    } catch {
      // no index yet, or unreadable: plan from the record files
    }
    return index
  }
  return {
    /** The entry of `key` from the saved index, if any. */
    get: (key: string): IndexEntry | undefined => load().get(key),
    /** Notes that this process used `entry` (kept in the next save). */
    used: (key: string, entry: IndexEntry) => void touched.set(key, entry),
    /** Notes a record just read and checked; the index is rewritten when its signature is new. */
    remember: (key: string, entry: IndexEntry) => {
      touched.set(key, entry)
      const old = load().get(key)?.sig
      if (!old || old.some((x, i) => x !== entry.sig[i])) dirty = true
    },
    // Saves the entries this process used or wrote, plus earlier entries up to twice as many (at least
    // INDEX_MIN_ENTRIES), when any is new: the index stays about the size of the graphs run lately, so
    // reading it costs less than the record reads it saves. Concurrent runs may each save: the last
    // rename wins and the loser's entries are simply read from their files next time.
    save: Effect.suspend(() => {
      if (!dirty) return Effect.void
      const merged = new Map(touched)
      const cap = Math.max(INDEX_MIN_ENTRIES, 2 * touched.size)
      for (const [k, v] of load()) {
        if (merged.size >= cap) break
        if (!merged.has(k)) merged.set(k, v)
      }
      return writeAtomic(tmpDir, indexPath, encodeIndex(merged)).pipe(
        Effect.andThen(Effect.sync(() => {
          index = merged
          dirty = false
        })),
        Effect.ignore
      )
    })
  }
}
