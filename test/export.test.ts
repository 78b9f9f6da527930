import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { DuckDBInstance } from "@duckdb/node-api"
import { parquetMetadata, parquetReadObjects } from "hyparquet"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AllColumns } from "./fixtures.ts"
import * as Export from "../src/Export.ts"

const T = AllColumns
const rows = [
  { s: "e2e4", f: 0.25, i: 3, b: true, l: ["a", "b"], n: null },
  { s: "d7d5, \"quoted\"", f: -1.5, i: -7, b: false, l: [], n: 2.5 }
]

describe("export", () => {
  it.effect("Parquet written for a table reads back with an independent reader (hyparquet), lists and nulls included", () =>
    Effect.gen(function*() {
      const bytes = yield* Export.parquet(T, rows)
      const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
      assert.strictEqual(Number(parquetMetadata(buf).num_rows), 2)
      const back = yield* Effect.promise(() => parquetReadObjects({ file: buf }))
      assert.deepStrictEqual(back, rows)
    }))

  it.live("Parquet reads in DuckDB (a third-party engine): column types, values, lists and nulls, SQL over them", () =>
    Effect.gen(function*() {
      const file = join(mkdtempSync(join(tmpdir(), "w2s-duckdb-")), "t.parquet")
      writeFileSync(file, yield* Export.parquet(T, rows))
      const db = yield* Effect.promise(() => DuckDBInstance.create(":memory:"))
      const conn = yield* Effect.promise(() => db.connect())
      try {
        const query = (sql: string) => Effect.promise(() => conn.runAndReadAll(sql).then((r) => r.getRowObjectsJson()))
        const types = yield* query(`DESCRIBE SELECT * FROM read_parquet('${file}')`)
        assert.deepStrictEqual(
          types.map((t) => [t.column_name, t.column_type]),
          [["s", "VARCHAR"], ["f", "DOUBLE"], ["i", "INTEGER"], ["b", "BOOLEAN"], ["l", "VARCHAR[]"], ["n", "DOUBLE"]]
        )
        assert.deepStrictEqual(yield* query(`SELECT * FROM read_parquet('${file}') ORDER BY i DESC`), rows)
        const agg = yield* query(`SELECT sum(i) AS si, sum(len(l)) AS sl, count(n) AS cn, avg(f) AS af FROM read_parquet('${file}')`)
        assert.deepStrictEqual(agg, [{ si: "-4", sl: "2", cn: "1", af: -0.625 }])
      } finally {
        conn.closeSync()
        db.closeSync()
      }
    }))

  it.effect("CSV quotes what needs quoting; JSON and text tables hold every row", () =>
    Effect.gen(function*() {
      const csv = (yield* Export.render("t", T, rows, "csv")) as string
      assert.strictEqual(csv.split("\n")[2], '"d7d5, ""quoted""",-1.5,-7,false,[],2.5')
      assert.deepStrictEqual(JSON.parse((yield* Export.render("t", T, rows, "json")) as string), rows)
      assert.match((yield* Export.render("t", T, rows, "table")) as string, /e2e4.*0\.25/)
      const bad = yield* Effect.exit(Export.render("t", T, rows, "png"))
      assert.strictEqual(bad._tag, "Failure")
    }))
})
