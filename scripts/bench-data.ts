/**
 * `npm run bench -- data`: the puzzle generator against the one before it (strategy
 * `every-position`, today's other settings), from the same game seeds and openings (the moves then
 * differ: the generators search differently) with the same engine in one run, in
 * puzzles per core-second (CPU time of this process, plus a native engine's process, so a busy machine
 * slows the wall clock but not the figure); the phase and piece mix of both; corpus positions per
 * core-second; and the minutes the `default` preset's data would take on this machine's cores,
 * extrapolated from those rates. WASM always, a native Stockfish as well when one is installed.
 *
 *   BENCH_PUZZLE_GAMES=240 BENCH_CORPUS_GAMES=6 node dist/bench-data.js [--set key=value]...
 *
 * `--set` overrides the new generator's settings (e.g. `--set moveNodes=300`), for choosing them.
 */
import { Effect } from "effect"
import { availableParallelism } from "node:os"
import { parseArgs } from "node:util"
import w2s from "../pipelines/w2s-chess.ts"
import { games } from "../stages/chess/games.ts"
import { generate, type PuzzleParams } from "../stages/chess/puzzles.ts"
import type { Puzzle } from "../stages/chess/tables.ts"
import { type EngineKind, nativeAvailable, procCpuSeconds, UciEngine } from "../stages/chess/uci.ts"

const cores = availableParallelism()
const preset = w2s.presets.default!.data
const CORPUS_GAMES = Number(process.env.BENCH_CORPUS_GAMES ?? 6)
const PUZZLE_GAMES = Number(process.env.BENCH_PUZZLE_GAMES ?? 240)
/** the games are played in this many rounds, the two generators taking turns in each */
const ROUNDS = 3
const { values } = parseArgs({ options: { set: { type: "string", multiple: true, default: [] } } })

const { shards: _s, gamesPerShard: _g, ...settings } = preset.puzzles
const newSettings = { ...settings } as Record<string, unknown>
for (const kv of values.set!) {
  const [k, v] = kv.split("=")
  newSettings[k!] = v === "after-mistake" || v === "every-position" ? v : Number(v)
}
const generators = {
  today: { ...settings, strategy: "every-position" },
  new: newSettings
} as const

interface Tally {
  cpu: number
  own: number
  wall: number
  puzzles: Array<Puzzle>
  positions: number
  searched: number
  screened: number
  confirmed: number
  games: number
}
const empty = (): Tally => ({ cpu: 0, own: 0, wall: 0, puzzles: [], positions: 0, searched: 0, screened: 0, confirmed: 0, games: 0 })

type Engines = { readonly player: UciEngine; readonly analyst: UciEngine }

/** Plays `count` games from `first` on open engines; adds the cost and the finds to `t`. */
const play = async (engines: Engines, p: PuzzleParams, t: Tally) => {
  // a native engine's own process, from /proc; the WASM engine runs in this thread, so process.cpuUsage counts it
  const cpu = () => (engines.player.cpuSeconds() ?? 0) + (engines.analyst === engines.player ? 0 : engines.analyst.cpuSeconds() ?? 0)
  const own0 = process.cpuUsage()
  const engine0 = cpu()
  const wall0 = performance.now()
  const r = await generate(engines, p, new AbortController().signal, { puzzle: (row) => t.puzzles.push(row), analysed: () => {}, gameDone: () => {} })
  const own = process.cpuUsage(own0)
  const engineCpu = cpu()
  if (engines.player.kind === "native" && engines.player.cpuSeconds() === undefined) throw new Error("this benchmark reads a native engine's CPU time from /proc (Linux)")
  t.cpu += engineCpu - engine0 + (own.user + own.system) / 1e6
  t.own += (own.user + own.system) / 1e6
  t.wall += (performance.now() - wall0) / 1000
  t.positions += r.positions
  t.searched += r.searched
  t.screened += r.screened
  t.confirmed += r.confirmed
  t.games += p.count
}

/** CPU seconds of this process's finished, waited-for children. */
const childrenCpu = () => {
  const cpu = procCpuSeconds("self")
  if (!cpu) throw new Error("this benchmark reads CPU time from /proc (Linux)")
  return cpu.children
}

const mix = (ps: ReadonlyArray<Puzzle>) => {
  const share = (n: number) => `${((100 * n) / Math.max(1, ps.length)).toFixed(0)}%`
  const phases = ["opening", "middlegame", "endgame"].map((ph) => `${ph} ${share(ps.filter((p) => p.phase === ph).length)}`)
  const bins = [[1, 8], [9, 16], [17, 24], [25, 32]].map(([lo, hi]) => `${lo}-${hi} pieces ${share(ps.filter((p) => p.pieces >= lo! && p.pieces <= hi!).length)}`)
  return `${phases.join(", ")}; ${bins.join(", ")}`
}

const measure = async (kind: EngineKind) => {
  const tallies = { today: empty(), new: empty() }
  // Engines are opened once per generator and warmed up by one game that is not counted, as a shard
  // of hundreds of games would use them: start-up (and the compiler's work after it) is not charged.
  const settled = await Promise.allSettled([0, 1, 2].map(() => UciEngine.open(kind)))
  const opened = settled.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []))
  if (opened.length < settled.length) {
    await Promise.all(opened.map((e) => e.close()))
    throw (settled.find((o) => o.status === "rejected") as PromiseRejectedResult).reason
  }
  const engines: Record<"today" | "new", Engines> = {
    today: { player: opened[0]!, analyst: opened[0]! },
    new: { player: opened[1]!, analyst: opened[2]! }
  }
  const params = (name: "today" | "new", first: number, count: number) => ({ ...generators[name], seed: 9001, engine: kind, first, count }) as PuzzleParams
  try {
    for (const name of ["today", "new"] as const) await play(engines[name], params(name, 4999, 1), empty())
    await new Promise((r) => setTimeout(r, 2000))
    const per = Math.ceil(PUZZLE_GAMES / ROUNDS)
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of ["today", "new"] as const) await play(engines[name], params(name, 5000 + round * per, per), tallies[name])
    }
  } finally {
    await Promise.all(opened.map((e) => e.close()))
  }
  // the corpus: one engine, its CPU time the same way
  const corpusEngine = { cpu: 0, positions: 0 }
  {
    const { shards: _cs, gamesPerShard: _cg, ...c } = preset.corpus
    const own0 = process.cpuUsage()
    const children0 = childrenCpu()
    const out = await Effect.runPromise(games.run({ node: "bench", params: { ...c, seed: 9001, engine: kind, first: 5000, count: CORPUS_GAMES }, inputs: {}, log: () => {}, progress: () => {}, annotate: () => {} } as never) as Effect.Effect<{ positions: ReadonlyArray<unknown> }>)
    const own = process.cpuUsage(own0)
    // a native engine's process has exited and been waited for: its CPU time is in this process's children's
    corpusEngine.cpu = childrenCpu() - children0 + (own.user + own.system) / 1e6
    corpusEngine.positions = out.positions.length
  }
  const lines: Array<string> = []
  const rate = (t: Tally) => t.puzzles.length / t.cpu
  for (const name of ["today", "new"] as const) {
    const t = tallies[name]
    lines.push(
      `- ${kind}, ${name === "today" ? "today's generator (every position screened)" : "new generator (after mistakes)"}: ` +
        `${rate(t).toFixed(2)} puzzles per core-second (${t.puzzles.length} puzzles from ${t.games} games, ${t.cpu.toFixed(0)} core-s of which ${t.own.toFixed(0)} in this process${kind === "wasm" ? " (the WASM engine's included)" : " (outside the engine)"}, ${t.wall.toFixed(0)} s wall); ` +
        `${(t.positions / t.games).toFixed(0)} positions, ${(t.searched / t.games).toFixed(0)} searched, ${(t.screened / t.games).toFixed(1)} screens, ${(t.confirmed / t.games).toFixed(2)} deep searches, ` +
        `${(t.puzzles.length / t.games).toFixed(2)} puzzles per game; mix: ${mix(t.puzzles)}`
    )
  }
  lines.push(`- ${kind}: new / today = **${(rate(tallies.new) / rate(tallies.today)).toFixed(2)}x** puzzles per core-second`)
  const corpusGames = preset.corpus.shards * preset.corpus.gamesPerShard
  const puzzleGames = preset.puzzles.shards * preset.puzzles.gamesPerShard
  const corpusPerGame = corpusEngine.cpu / CORPUS_GAMES
  const minutes = (perGame: number) => ((corpusGames * corpusPerGame + puzzleGames * perGame) / cores / 60)
  lines.push(
    `- ${kind}: corpus ${(corpusEngine.positions / corpusEngine.cpu).toFixed(0)} positions per core-second. ` +
      `The \`default\` preset's data (${corpusGames} corpus games, ${puzzleGames} puzzle games, about ${Math.round((puzzleGames * tallies.new.puzzles.length) / tallies.new.games)} puzzles with the new generator) ` +
      `on ${cores} cores: about ${minutes(tallies.new.cpu / tallies.new.games).toFixed(0)} min with the new generator, ${minutes(tallies.today.cpu / tallies.today.games).toFixed(0)} min with today's ` +
      `(extrapolated from core-seconds, assuming the cores are kept busy)`
  )
  return lines
}

const main = async () => {
  const engines: Array<EngineKind> = ["wasm", ...(nativeAvailable() ? ["native" as const] : [])]
  const lines: Array<string> = [`Settings of the new generator: ${JSON.stringify(generators.new)}`]
  for (const e of engines) lines.push(...(await measure(e)))
  if (engines.length === 1) lines.push("- native: no native stockfish on this machine (Debian's package `stockfish` provides one)")
  console.log(lines.join("\n"))
}

main().catch((e) => {
  console.error(`error: ${e?.message ?? e}`)
  process.exit(1)
})
