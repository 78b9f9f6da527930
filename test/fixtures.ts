// A table port with every column type, shared by the codec and export tests.
import * as Artifact from "../src/Artifact.ts"

export const AllColumns = Artifact.table("T", {
  s: Artifact.Column.utf8,
  f: Artifact.Column.float64,
  i: Artifact.Column.int32,
  b: Artifact.Column.bool,
  l: Artifact.Column.list(Artifact.Column.utf8),
  n: Artifact.Column.nullable(Artifact.Column.float64)
})
