/**
 * The params a pipeline accepts, as a user writes them: every path `--set` takes (the leaves of a
 * preset's encoded params; the members of a list of groups by index, `ladder.0.arch.width`; a list
 * of plain values is one leaf, replaced whole), with its type in words, its value in that preset and
 * the description its Schema carries (`.annotate({ description })`; absent when it has none).
 * Pure: a walk over a Schema's AST beside a JSON value.
 */
import { SchemaAST } from "effect"
import type { Schema } from "effect"
import type { Json } from "./Key.ts"

/** One param: its `--set` path, its type in words, its value (encoded JSON) and its description. */
export interface ParamInfo {
  readonly path: string
  readonly type: string
  readonly value: Json
  readonly description: string | undefined
}

const isRecord = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v)

/** `X | undefined` (an optional field) as X. */
const unwrapOptional = (ast: SchemaAST.AST): SchemaAST.AST => {
  if (ast._tag !== "Union") return ast
  const rest = ast.types.filter((t) => t._tag !== "Undefined")
  return rest.length === 1 ? rest[0]! : ast
}

const shortConstraint = (text: string): string =>
  text
    .replace(/^a value greater than or equal to /, ">= ")
    .replace(/^a value greater than /, "> ")
    .replace(/^a value less than or equal to /, "<= ")
    .replace(/^a value less than /, "< ")
    .replace(/^a value with a length of at least (\d+)$/, "at least $1")

/** A type in words: `int (>= 0)`, `"naive" | "auxconf"`, `list of string (at least 1)`, `{name, arch}`. */
export const typeText = (schemaAst: SchemaAST.AST): string => {
  const ast = unwrapOptional(schemaAst)
  const checks = (ast.checks ?? []).map((c) => (c as { annotations?: { expected?: string } }).annotations?.expected)
  const isInt = checks.includes("an integer")
  const extra = checks.filter((c): c is string => c !== undefined && c !== "an integer").map(shortConstraint)
  const suffix = extra.length ? ` (${extra.join(", ")})` : ""
  switch (ast._tag) {
    case "Number":
      return `${isInt ? "int" : "number"}${suffix}`
    case "String":
    case "Boolean":
    case "Null":
      return `${ast._tag.toLowerCase()}${suffix}`
    case "Literal":
      return JSON.stringify(ast.literal)
    case "Union":
      return ast.types.map((t) => typeText(t)).join(" | ")
    case "Arrays": {
      const item = ast.rest[0]
      if (ast.elements.length > 0 || !item) return `[${ast.elements.map((e) => typeText(e)).join(", ")}]${suffix}`
      const inner = typeText(item)
      return `list of ${inner.includes(" ") && !inner.startsWith("{") ? `(${inner})` : inner}${suffix}`
    }
    case "Objects":
      return `{${ast.propertySignatures.map((p) => String(p.name)).join(", ")}}`
    case "Suspend":
      return typeText(ast.thunk())
    default:
      return ast._tag.toLowerCase()
  }
}

const fieldOf = (ast: SchemaAST.AST, key: string): SchemaAST.AST | undefined => {
  const a = unwrapOptional(ast)
  if (a._tag === "Objects") return a.propertySignatures.find((p) => p.name === key)?.type
  if (a._tag === "Suspend") return fieldOf(a.thunk(), key)
  return undefined
}

const itemOf = (ast: SchemaAST.AST, index: number): SchemaAST.AST | undefined => {
  const a = unwrapOptional(ast)
  if (a._tag !== "Arrays") return undefined
  return a.elements[index] ?? a.rest[0]
}

const descriptionOf = (ast: SchemaAST.AST | undefined): string | undefined => {
  if (!ast) return undefined
  const d = SchemaAST.resolveDescription(ast) ?? SchemaAST.resolveDescription(unwrapOptional(ast))
  return d === undefined || d.trim() === "" ? undefined : d.replace(/\s+/g, " ").trim()
}

/**
 * Every param path of `value` (a pipeline's encoded params, e.g. a preset) with its type and the
 * description of `schema`, in the order the value holds them. A group that has a description of its
 * own is listed too (a `--set` of a group replaces it whole).
 */
export const paramList = (schema: Schema.Top, value: Json): ReadonlyArray<ParamInfo> => {
  const out: Array<ParamInfo> = []
  const go = (v: Json, ast: SchemaAST.AST | undefined, path: ReadonlyArray<string>) => {
    const here = path.join(".")
    const expand = isRecord(v) || (Array.isArray(v) && v.length > 0 && v.every(isRecord))
    if (expand && path.length > 0) {
      const d = descriptionOf(ast)
      if (d !== undefined) out.push({ path: here, type: ast ? typeText(ast) : "group", value: v, description: d })
    }
    if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) go(x, ast && fieldOf(ast, k), [...path, k])
      return
    }
    if (expand && Array.isArray(v)) {
      v.forEach((x, i) => go(x, ast && itemOf(ast, i), [...path, String(i)]))
      return
    }
    out.push({ path: here, type: ast ? typeText(ast) : typeof v, value: v, description: descriptionOf(ast) })
  }
  go(value, schema.ast, [])
  return out
}
