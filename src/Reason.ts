/**
 * Why a node is cached or must run, as data (`Reason`), and the one place it is put into words
 * (`reasonText`): the words are part of the CLI contract (`plan --json`'s `reason`, DESIGN.md
 * section 3), so every output that shows a reason (plan, show, the run log) goes through here.
 */

export type Reason =
  /** its record is committed and intact */
  | { readonly _tag: "Cached" }
  /** no record, and none before for this node that differs in a way we can name */
  | { readonly _tag: "New" }
  /** the node's last record differs from what it would be now: code, params, or these inputs */
  | {
    readonly _tag: "Changed"
    readonly code: boolean
    readonly params: boolean
    readonly inputs: ReadonlyArray<string>
    /** with `params`: what changed, `path: old -> new` (the node's own params, `Params.paramChanges`) */
    readonly paramChanges?: ReadonlyArray<string> | undefined
  }
  /** `--force` named it */
  | { readonly _tag: "Forced" }
  /** its record is there but cannot be trusted: `detail` says what is wrong */
  | { readonly _tag: "Damaged"; readonly detail: string }
  /** it cannot be keyed before `upstream` has run (early cutoff may still spare it) */
  | { readonly _tag: "UpstreamReruns"; readonly upstream: string }

export const Cached: Reason = { _tag: "Cached" }
export const New: Reason = { _tag: "New" }
export const Forced: Reason = { _tag: "Forced" }

/** The words for a reason: `new`, `params changed (max: 90 -> 40)`, `code changed, input rows changed`, `forced`... */
export const reasonText = (r: Reason): string => {
  switch (r._tag) {
    case "Cached":
      return "cached"
    case "New":
      return "new"
    case "Changed": {
      const why: Array<string> = []
      if (r.code) why.push("code changed")
      if (r.params) why.push(r.paramChanges?.length ? `params changed (${r.paramChanges.join(", ")})` : "params changed")
      for (const p of r.inputs) why.push(`input ${p} changed`)
      return why.length ? why.join(", ") : "new"
    }
    case "Forced":
      return "forced"
    case "Damaged":
      return `output missing or damaged (${r.detail})`
    case "UpstreamReruns":
      return `upstream ${r.upstream} re-runs`
  }
}
