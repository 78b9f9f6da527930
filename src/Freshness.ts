/**
 * Freshness: the rule that says whether the record under a node's key can be used as it is. Pure,
 * over a view of the records: the planner shows its verdict before a run, and every rebuilder (the
 * local one, the Slurm executor, `exec-node`) makes it again at run time, before and after taking
 * the key's lock. One rule, so a plan and a run never disagree on what is up to date.
 */
import { Cached, Forced, New, type Reason } from "./Reason.ts"
import type { Committed } from "./Record.ts"
import type { RecordView } from "./store/Records.ts"

/** Whether the record under a key can be used as it is. */
export type Freshness =
  | { readonly _tag: "UpToDate"; readonly record: Committed; readonly reason: Reason }
  | { readonly _tag: "Stale"; readonly reason: Reason }

/**
 * The rebuild decision for `key`: up to date when its record is present and intact and the node is
 * not forced; else stale, `Forced`, `Damaged` (what is wrong) or `New` (no record: the planner
 * explains it further against the node's last record).
 */
export const freshness = (view: Pick<RecordView, "lookup">, key: string, forced: boolean): Freshness => {
  if (forced) return { _tag: "Stale", reason: Forced }
  const found = view.lookup(key)
  switch (found._tag) {
    case "Present":
      return { _tag: "UpToDate", record: found.record, reason: Cached }
    case "Damaged":
      return { _tag: "Stale", reason: { _tag: "Damaged", detail: found.reason } }
    case "Absent":
      return { _tag: "Stale", reason: New }
  }
}

