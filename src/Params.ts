/**
 * A pipeline's params from a preset and overrides: `--set path=value` texts (values parsed as JSON
 * when they parse, else kept as strings), params files turned into such texts, each applied to a
 * copy of the preset's encoded params (a path must name an existing param), and the result
 * validated by the pipeline's Schema. Every rejection is a typed error naming the param.
 */
import { Effect, Result, Schema } from "effect"
import { InvalidParams, messageOf, NotFound, UsageError } from "./Errors.ts"
import type { Json } from "./Key.ts"
import type { Pipeline } from "./Pipeline.ts"

const errorText = (e: unknown) => messageOf(e).replace(/\n\s*/g, " ")

/** One `--set path=value`: the value is JSON when it parses as JSON, else a string. */
export const parseSet = (text: string): Result.Result<{ path: ReadonlyArray<string>; value: Json }, UsageError> => {
  const eq = text.indexOf("=")
  if (eq <= 0) return Result.fail(new UsageError({ message: `--set expects path=value, got '${text}'` }))
  const pathText = text.slice(0, eq).trim()
  const path = pathText.split(".")
  if (path.some((s) => s.length === 0 || !/^[A-Za-z0-9_-]+$/.test(s))) {
    return Result.fail(new UsageError({ message: `--set path '${pathText}' is malformed (use dotted names, e.g. strong.training.epochs=4)` }))
  }
  const raw = text.slice(eq + 1)
  let value: Json
  try {
    value = JSON.parse(raw) as Json
  } catch {
    value = raw
  }
  return Result.succeed({ path, value })
}

/**
 * A params file (a JSON object holding part of the params, e.g. `{"strong": {"training": {"epochs": 2}}}`)
 * as `--set` texts: one per leaf; lists are leaves (replaced whole). `source` names the file in errors.
 */
export const setsFromJson = (json: unknown, source: string): Result.Result<ReadonlyArray<string>, UsageError> => {
  if (!isRecord(json)) return Result.fail(new UsageError({ message: `${source}: expected a JSON object of params, got ${Array.isArray(json) ? "a list" : json === null ? "null" : typeof json}` }))
  const out: Array<string> = []
  const walk = (v: Json, path: Array<string>): string | undefined => {
    if (isRecord(v) && path.length > 0 && Object.keys(v).length === 0) return `${source}: '${path.join(".")}' is an empty object`
    if (!isRecord(v)) {
      out.push(`${path.join(".")}=${JSON.stringify(v)}`)
      return undefined
    }
    for (const [k, x] of Object.entries(v)) {
      if (!/^[A-Za-z0-9_-]+$/.test(k)) return `${source}: '${[...path, k].join(".")}' is not a param name`
      const bad = walk(x, [...path, k])
      if (bad) return bad
    }
    return undefined
  }
  const bad = walk(json, [])
  return bad ? Result.fail(new UsageError({ message: bad })) : Result.succeed(out)
}

const isRecord = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v)

/** Applies one override to a copy of `params`; the path must name an existing param. */
const applySet = (pipeline: string, params: Json, path: ReadonlyArray<string>, value: Json): Result.Result<Json, InvalidParams> => {
  const unknownParam = (message: string) => Result.fail(new InvalidParams({ pipeline, message }))
  const go = (cur: Json, i: number): Result.Result<Json, InvalidParams> => {
    const seg = path[i]!
    const here = path.slice(0, i + 1).join(".")
    const inner = (next: Json) => (i === path.length - 1 ? Result.succeed(value) : go(next, i + 1))
    if (Array.isArray(cur)) {
      const idx = /^\d+$/.test(seg) ? Number(seg) : NaN
      if (!(idx < cur.length)) return unknownParam(`unknown param '${here}' (${path.slice(0, i).join(".")} is a list of ${cur.length})`)
      return Result.map(inner(cur[idx]!), (v) => {
        const copy = [...cur]
        copy[idx] = v
        return copy
      })
    }
    if (!isRecord(cur) || !(seg in cur)) {
      const parent = path.slice(0, i).join(".")
      const known = isRecord(cur) ? Object.keys(cur).map((k) => (parent ? `${parent}.${k}` : k)) : []
      return unknownParam(`unknown param '${here}'` + (known.length ? ` (known here: ${known.join(", ")})` : ` (${parent} is not a group of params)`))
    }
    return Result.map(inner(cur[seg]!), (v) => ({ ...cur, [seg]: v }))
  }
  return go(params, 0)
}

/** The params of a pipeline for a preset and overrides, validated by its Schema. */
export const resolveParams = <P, PE>(pipeline: Pipeline<P, PE>, preset: string | undefined, sets: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const name = preset ?? pipeline.defaultPreset
    if (!Object.hasOwn(pipeline.presets, name)) {
      return yield* Effect.fail(new NotFound({ what: `preset of ${pipeline.name}`, name, known: Object.keys(pipeline.presets) }))
    }
    let encoded = pipeline.presets[name] as Json
    for (const text of sets) {
      const { path, value } = yield* Effect.fromResult(parseSet(text))
      encoded = yield* Effect.fromResult(applySet(pipeline.name, encoded, path, value))
    }
    const decoded = Schema.decodeUnknownResult(pipeline.params)(encoded, { errors: "all", onExcessProperty: "error" })
    if (Result.isFailure(decoded)) {
      return yield* Effect.fail(new InvalidParams({ pipeline: pipeline.name, message: `params (preset ${name}): ${errorText(decoded.failure)}` }))
    }
    return { preset: name, encoded, params: decoded.success }
  })

/** One param leaf that differs between two encoded param sets (lists are leaves, compared whole). */
export interface LeafDiff {
  readonly path: string
  readonly before: Json | undefined
  readonly after: Json | undefined
}

/**
 * Every leaf that differs between two encoded param sets, in the order of their keys: those of
 * both sets (`before`'s first), or only `after`'s with `afterOnly` (what a `--set` can express).
 */
export const leafDiffs = (before: Json, after: Json, afterOnly = false): Array<LeafDiff> => {
  const out: Array<LeafDiff> = []
  const go = (a: Json | undefined, b: Json | undefined, path: string) => {
    if (isRecord(a) && isRecord(b)) {
      const keys = afterOnly ? Object.keys(b) : new Set([...Object.keys(a), ...Object.keys(b)])
      for (const k of keys) go(a[k], b[k], path ? `${path}.${k}` : k)
      return
    }
    if (afterOnly && b === undefined) return
    if (a === undefined || b === undefined || JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, before: a, after: b })
  }
  go(before, after, "")
  return out
}

/** A value as JSON text, cut to 40 characters. */
const shorten = (text: string): string => (text.length > 40 ? `${text.slice(0, 37)}...` : text)

/**
 * The params that differ between two encoded param sets, as `path=value` (lists compared whole, long
 * values shortened): what a user changed from a preset.
 */
export const changedParams = (before: Json, after: Json): ReadonlyArray<string> =>
  leafDiffs(before, after).map((d) => `${d.path}=${d.after === undefined ? "(removed)" : shorten(JSON.stringify(d.after))}`)

/**
 * The params that differ between two encoded param sets, as `path: old -> new` (lists compared
 * whole, long values shortened unless `full`): what `plan` and `diff` name when params changed.
 */
export const paramChanges = (before: Json, after: Json, full = false): ReadonlyArray<string> => {
  const text = (v: Json | undefined) => (v === undefined ? "(absent)" : full ? JSON.stringify(v) : shorten(JSON.stringify(v)))
  return leafDiffs(before, after).map((d) => `${d.path || "(all)"}: ${text(d.before)} -> ${text(d.after)}`)
}

/**
 * The `--set` texts that turn the encoded params `before` into `after` (each differing leaf, lists
 * whole, values in full JSON): what reproduces a run's params from its preset. Params `after`
 * lacks are left out (a `--set` cannot remove one).
 */
export const setsBetween = (before: Json, after: Json): ReadonlyArray<string> =>
  leafDiffs(before, after, true).map((d) => `${d.path}=${JSON.stringify(d.after)}`)
