/**
 * The models the GPU check measures: the default preset's ladder, then members of other presets
 * bigger than it has (the paper's s4), each with its own head and with the full head. Its own module
 * so that the carried bundle can hold this list as data (scripts/gpu-carry.mjs) instead of the
 * whole pipeline, whose figure and data stages need packages a GPU machine may not have.
 */
import w2s from "../pipelines/w2s-chess.ts"
import type { Architecture } from "../stages/ml/model.ts"

export const ladder: ReadonlyArray<{ readonly name: string; readonly arch: Architecture }> = (() => {
  const base = w2s.presets[w2s.defaultPreset]!.ladder
  const names = new Set(base.map((m) => m.name))
  const more = Object.entries(w2s.presets)
    .filter(([p]) => p !== "smoke")
    .flatMap(([, p]) => p.ladder)
    .filter((m) => !names.has(m.name) && (names.add(m.name), true))
  return [...base, ...more].flatMap((m) => [
    { name: m.name, arch: m.arch },
    ...(m.arch.head === "full" ? [] : [{ name: `${m.name} full head`, arch: { ...m.arch, head: "full" as const } }])
  ])
})()
