/**
 * Artifact ports: the typed values that flow along the edges of a pipeline, and their byte codecs.
 *
 * A port says what a stage reads or writes (an Arrow table with a row schema, JSON checked by a
 * Schema, model weights, a figure) and how that value becomes the bytes the store hashes. Ports are
 * invariant in their value type, so wiring a table of puzzles into an input that wants model weights
 * is a compile error; `signature` repeats the check at run time for graphs TypeScript cannot see.
 * Codecs must be deterministic: equal values give equal bytes, which is what early cutoff relies on.
 * The byte formats themselves, and the versions keys know them by, are in `Codec.ts`.
 */
import { Effect, Result, Schema } from "effect"
import { arrowType, cellValue, type Codec, codecs, packParts, unpackParts } from "./Codec.ts"
import { canonicalJson } from "./Key.ts"
import { ArtifactInvalid, messageOf } from "./Errors.ts"

export type { Codec } from "./Codec.ts"

/** A typed artifact port. `A` is the value a stage sees. */
export interface Port<A> {
  /** Phantom, makes `Port` invariant in `A`. */
  readonly "~value": (a: A) => A
  readonly kind: "table" | "json" | "model" | "figure"
  /** Author-given name of the artifact type, e.g. `Puzzles`. */
  readonly name: string
  /** Exact type text; an input accepts an output only when the two signatures are equal. */
  readonly signature: string
  /** The codec of `encode` / `decode`: its version joins the key of every node with this port. */
  readonly codec: Codec
  readonly encode: (value: A, port: string) => Effect.Effect<Uint8Array, ArtifactInvalid>
  readonly decode: (bytes: Uint8Array, port: string) => Effect.Effect<A, ArtifactInvalid>
}

/** Any port, whatever its value type. */
export type AnyPort = Port<any>
/** The value type of a port. */
export type ValueOf<P> = P extends Port<infer A> ? A : never

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/** A column type: its Arrow type name and the Schema of one cell. */
export interface Column<T> {
  readonly type: string
  readonly schema: Schema.Codec<T, T>
}

const col = <T>(type: string, schema: Schema.Codec<T, T>): Column<T> => ({ type, schema })

/** Column types of table ports. */
export const Column = {
  utf8: col("utf8", Schema.String),
  float64: col("float64", Schema.Number),
  float32: col("float32", Schema.Number),
  int32: col("int32", Schema.Int),
  bool: col("bool", Schema.Boolean),
  /** A list cell of a primitive column type. */
  list: <T>(item: Column<T>): Column<ReadonlyArray<T>> =>
    col(`list<${item.type}>`, Schema.Array(item.schema) as unknown as Schema.Codec<ReadonlyArray<T>, ReadonlyArray<T>>),
  /** A cell that may be null. */
  nullable: <T>(c: Column<T>): Column<T | null> =>
    col(`${c.type}?`, Schema.NullOr(c.schema) as unknown as Schema.Codec<T | null, T | null>)
}

type Columns = Record<string, Column<any>>
/** The row type of a table with these columns. */
export type RowOf<C extends Columns> = { readonly [K in keyof C]: C[K] extends Column<infer T> ? T : never }

/** A table port: rows of a fixed set of typed columns, stored as an Arrow IPC file. */
export interface TablePort<C extends Columns> extends Port<ReadonlyArray<RowOf<C>>> {
  readonly kind: "table"
  readonly columns: C
  readonly rowSchema: Schema.Codec<RowOf<C>, RowOf<C>>
}

const schemaMessage = messageOf

const invalid = (port: string) => (message: string) => new ArtifactInvalid({ port, message })

/**
 * A table port. Every row is checked against the row schema when written, so a stage cannot commit a
 * table that its consumers would misread.
 */
export const table = <C extends Columns>(name: string, columns: C): TablePort<C> => {
  const names = Object.keys(columns)
  const rowSchema = Schema.Struct(
    Object.fromEntries(names.map((n) => [n, columns[n]!.schema]))
  ) as unknown as Schema.Codec<RowOf<C>, RowOf<C>>
  const isRow = Schema.is(rowSchema)
  const signature = `table ${name}<${names.map((n) => `${n}:${columns[n]!.type}`).join(",")}>`

  const encode = (rows: ReadonlyArray<RowOf<C>>, port: string) =>
    Effect.gen(function*() {
      if (!Array.isArray(rows)) return yield* Effect.fail(invalid(port)(`expected an array of rows for ${signature}`))
      for (let i = 0; i < rows.length; i++) {
        if (!isRow(rows[i])) {
          const r = Schema.decodeUnknownResult(rowSchema)(rows[i])
          const why = Result.isFailure(r) ? schemaMessage(r.failure) : "not a row"
          return yield* Effect.fail(invalid(port)(`row ${i} does not fit ${signature}: ${why.replace(/\s+/g, " ")}`))
        }
      }
      const arrow = yield* Effect.promise(() => import("apache-arrow"))
      return yield* Effect.try({
        try: () => {
          const vectors = Object.fromEntries(names.map((n) => [
            n,
            arrow.vectorFromArray(rows.map((r) => r[n]), arrowType(arrow, columns[n]!.type))
          ]))
          const t = new arrow.Table(vectors)
          return arrow.tableToIPC(t, "file")
        },
        catch: (e) => invalid(port)(`cannot encode as Arrow: ${schemaMessage(e)}`)
      })
    })

  const decode = (bytes: Uint8Array, port: string) =>
    Effect.gen(function*() {
      const arrow = yield* Effect.promise(() => import("apache-arrow"))
      const t = yield* Effect.try({
        try: () => arrow.tableFromIPC(bytes),
        catch: (e) => invalid(port)(`not an Arrow IPC file: ${schemaMessage(e)}`)
      })
      const missing = names.filter((n) => t.getChild(n) === null)
      if (missing.length) return yield* Effect.fail(invalid(port)(`table lacks columns ${missing.join(", ")}`))
      const cols = names.map((n) => {
        const v = t.getChild(n)!
        const nullable = columns[n]!.type.endsWith("?")
        const simple = !nullable && !columns[n]!.type.startsWith("list<")
        return simple ? Array.from(v.toArray() as ArrayLike<unknown>) : Array.from({ length: t.numRows }, (_, i) => cellValue(v.get(i)))
      })
      const rows = new Array<RowOf<C>>(t.numRows)
      for (let i = 0; i < t.numRows; i++) {
        const row: Record<string, unknown> = {}
        for (let j = 0; j < names.length; j++) row[names[j]!] = cols[j]![i]
        rows[i] = row as RowOf<C>
      }
      return rows as ReadonlyArray<RowOf<C>>
    })

  return { "~value": (a) => a, kind: "table", name, signature, codec: codecs.table, columns, rowSchema, encode, decode }
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/** A JSON port checked by a Schema, stored as canonical JSON text (sorted keys). */
export const json = <S extends Schema.Codec<any, any>>(name: string, schema: S): Port<S["Type"]> => {
  const enc = Schema.encodeUnknownResult(schema as Schema.Codec<unknown, unknown>)
  const dec = Schema.decodeUnknownResult(schema as Schema.Codec<unknown, unknown>)
  return {
    "~value": (a) => a,
    kind: "json",
    name,
    signature: `json ${name}`,
    codec: codecs.json,
    encode: (value, port) =>
      Effect.gen(function*() {
        const r = enc(value)
        if (Result.isFailure(r)) return yield* Effect.fail(invalid(port)(`does not fit ${name}: ${schemaMessage(r.failure)}`))
        return yield* Effect.try({
          try: () => new TextEncoder().encode(canonicalJson(r.success)),
          catch: (e) => invalid(port)(`not JSON: ${schemaMessage(e)}`)
        })
      }),
    decode: (bytes, port) =>
      Effect.gen(function*() {
        const parsed = yield* Effect.try({
          try: () => JSON.parse(new TextDecoder().decode(bytes)) as unknown,
          catch: (e) => invalid(port)(`not JSON: ${schemaMessage(e)}`)
        })
        const r = dec(parsed)
        if (Result.isFailure(r)) return yield* Effect.fail(invalid(port)(`does not fit ${name}: ${schemaMessage(r.failure)}`))
        return r.success as S["Type"]
      })
  }
}

// ---------------------------------------------------------------------------------------------
// Binary bundles: model weights and figures
// ---------------------------------------------------------------------------------------------

/** Model weights: a JSON manifest (architecture, shapes, dtypes) and one weight blob. */
export interface ModelWeights {
  readonly manifest: unknown
  readonly weights: Uint8Array
}

/** A model-weights port. The manifest must be plain JSON. */
export const model = (name: string): Port<ModelWeights> => ({
  "~value": (a) => a,
  kind: "model",
  name,
  signature: `model ${name}`,
  codec: codecs.model,
  encode: (value, port) =>
    Effect.try({
      try: () => packParts(value.manifest, [["weights", value.weights]]),
      catch: (e) => invalid(port)(`cannot encode model weights: ${schemaMessage(e)}`)
    }),
  decode: (bytes, port) =>
    Effect.try({
      try: () => {
        const { header, parts } = unpackParts(bytes)
        const weights = parts.get("weights")
        if (!weights) throw new Error("no weights part")
        return { manifest: header, weights }
      },
      catch: (e) => invalid(port)(`not model weights: ${schemaMessage(e)}`)
    })
})

/** A rendered figure: the SVG text and, when rendered, a PNG. */
export interface Figure {
  readonly title: string
  readonly svg: string
  readonly png?: Uint8Array | undefined
}

/** A figure port. */
export const figure = (name: string): Port<Figure> => ({
  "~value": (a) => a,
  kind: "figure",
  name,
  signature: `figure ${name}`,
  codec: codecs.figure,
  encode: (value, port) =>
    Effect.try({
      try: () =>
        packParts({ title: value.title }, [
          ["svg", new TextEncoder().encode(value.svg)],
          ...(value.png ? [["png", value.png] as const] : [])
        ]),
      catch: (e) => invalid(port)(`cannot encode figure: ${schemaMessage(e)}`)
    }),
  decode: (bytes, port) =>
    Effect.try({
      try: () => {
        const { header, parts } = unpackParts(bytes)
        const svg = parts.get("svg")
        if (!svg) throw new Error("no svg part")
        return { title: String((header as { title?: unknown }).title ?? ""), svg: new TextDecoder().decode(svg), png: parts.get("png") }
      },
      catch: (e) => invalid(port)(`not a figure: ${schemaMessage(e)}`)
    })
})

// ---------------------------------------------------------------------------------------------
// Fan-in
// ---------------------------------------------------------------------------------------------

/**
 * An input that takes any number of outputs of one type (e.g. every evaluation of a sweep), in the
 * order given. Wired as `port[0]`, `port[1]`, ...; the stage sees an array.
 */
export interface Many<A> {
  readonly "~many": (a: A) => A
  readonly item: Port<A>
  readonly signature: string
}

export const many = <A>(item: Port<A>): Many<A> => ({ "~many": (a) => a, item, signature: `many ${item.signature}` })

export type AnyInput = AnyPort | Many<any>

export const isMany = (p: AnyInput): p is Many<unknown> => "~many" in p

/** The codecs of a stage's ports, each once, in a fixed order: what its outputs' bytes depend on besides its code. */
export const codecsOf = (ports: Iterable<AnyInput>): ReadonlyArray<Codec> => {
  const byName = new Map<string, Codec>()
  for (const p of ports) {
    const c = (isMany(p) ? p.item : p).codec
    byName.set(`${c.name}/${c.version}`, c)
  }
  return [...byName].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, c]) => c)
}

/** `name[3]` -> ["name", 3]; plain names -> [name, undefined]. */
export const splitWire = (wired: string): readonly [string, number | undefined] => {
  if (!wired.endsWith("]")) return [wired, undefined]
  const m = /^(.+)\[(\d+)\]$/.exec(wired)
  return m ? [m[1]!, Number(m[2])] : [wired, undefined]
}
