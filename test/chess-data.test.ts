// The chess data stages: determinism, disjointness, the puzzle rule on hand-checked positions, bad input.
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Result } from "effect"
import * as Pipeline from "../src/Pipeline.ts"
import * as Planner from "../src/Planner.ts"
import * as Scheduler from "../src/Scheduler.ts"
import * as Targets from "../src/Targets.ts"
import w2s from "../pipelines/w2s-chess.ts"
import { fromFen, Game, positionKey } from "../stages/chess/board.ts"
import { resolveEngine } from "../stages/chess/engine.ts"
import { confirm } from "../stages/chess/confirm.ts"
import { games } from "../stages/chess/games.ts"
import { puzzles } from "../stages/chess/puzzles.ts"
import { judge } from "../stages/chess/rules.ts"
import { split } from "../stages/chess/split.ts"
import { AnalysedPositions, type Analysed, Positions, type Puzzle, Puzzles } from "../stages/chess/tables.ts"
import { nativeAvailable, UciEngine } from "../stages/chess/uci.ts"
import { createHash } from "node:crypto"
import { layers, memoryStore, objects, outputsOf, planPipeline, records, runnerLayer, type RunnerKind, runPipeline, type TestStore } from "./helpers.ts"

/** The smallest data that still exercises every data stage: seconds, not minutes. */
const tiny = [
  "data.engine=wasm",
  // the student member pretrains on blunder positions (half of its examples), so that node is made, read and checked
  "ladder.2.pretrain.examples=400",
  "pretraining.best=0.5",
  "data.corpus.shards=1",
  "data.corpus.gamesPerShard=2",
  "data.corpus.nodes=200",
  "data.puzzles.shards=2",
  "data.puzzles.gamesPerShard=8",
  "data.puzzles.screenNodes=200",
  "data.puzzles.depth=6",
  "data.split.fractions.weak=0.3",
  "data.split.fractions.strong=0.3",
  "data.split.fractions.val=0.1",
  "data.split.fractions.test=0.2",
  "data.split.fractions.fresh=0.1",
  // and a small slice of the learning half, so that the whole chain is checked for determinism
  "seeds=[0]",
  'sizes.weak=["s0"]',
  'sizes.strong=["s2"]',
  'methods=["naive"]'
]

const assertRejects = async (p: Promise<unknown>, message: RegExp) => {
  const outcome = await p.then(() => undefined, (e: unknown) => e)
  assert.instanceOf(outcome, Error)
  assert.match((outcome as Error).message, message)
}

const readTable = (store: TestStore, hash: string) =>
  Effect.flatMap(objects(store).get(hash), (bytes) => Puzzles.decode(bytes, "t") as Effect.Effect<ReadonlyArray<Record<string, unknown>>, unknown>)
const readCorpus = (store: TestStore, hash: string) =>
  Effect.flatMap(objects(store).get(hash), (bytes) => Positions.decode(bytes, "t"))

describe("chess data (WASM Stockfish)", () => {
  it.live("two runs from empty caches give identical content hashes (data and models); splits are disjoint and miss the corpus", () =>
    Effect.gen(function*() {
      const a = memoryStore()
      const b = memoryStore()
      const ra = yield* runPipeline(a.store, w2s, tiny, { jobs: 2 })
      assert.strictEqual(ra.tally.failed, 0, JSON.stringify(ra.summary.nodes.filter((n) => n.outcome === "failed")))
      yield* runPipeline(b.store, w2s, tiny, { jobs: 2 })
      const ha = outputsOf(a.store, yield* planPipeline(a.store, w2s, tiny))
      const hb = outputsOf(b.store, yield* planPipeline(b.store, w2s, tiny))
      assert.deepStrictEqual(ha, hb)

      const outs = ha["split/s0"]!
      const corpus = yield* readCorpus(a.store, ha["corpus/0"]!["positions"]!)
      assert.isAbove(corpus.length, 50)
      const corpusKeys = new Set(corpus.map((r) => positionKey(String(r.fen))))
      const owner = new Map<string, string>()
      const gameOwner = new Map<number, string>()
      let total = 0
      for (const name of ["weak", "strong", "val", "test", "fresh"]) {
        for (const row of yield* readTable(a.store, outs[name]!)) {
          total++
          const key = positionKey(String(row.fen))
          assert.isFalse(corpusKeys.has(key), `${key} of ${name} is in the corpus`)
          assert.isUndefined(owner.get(key), `${key} is in ${owner.get(key)} and ${name}`)
          owner.set(key, name)
          // splits by game: every puzzle of a game is in one split
          const game = Number(row.game)
          assert.include([undefined, name], gameOwner.get(game), `game ${game} is in ${gameOwner.get(game)} and ${name}`)
          gameOwner.set(game, name)
          assert.include(row.legal as Array<string>, row.best, "the label is a legal move")
        }
      }
      assert.isAbove(total, 0, "some puzzles were found")
      assert.isBelow(gameOwner.size, total, "some game gave more than one puzzle (else splitting by game is untested here)")

      // blunder positions (pretraining data from the puzzle games): none from a game that gave a puzzle, none at a puzzle's position
      const puzzleGames = new Set<number>()
      const puzzleKeys = new Set<string>()
      for (const id of ["puzzles/0", "puzzles/1"]) {
        for (const row of yield* readTable(a.store, ha[id]!["puzzles"]!)) {
          puzzleGames.add(Number(row.game))
          puzzleKeys.add(positionKey(String(row.fen)))
        }
      }
      const blunders = yield* readCorpus(a.store, ha["blunder-positions"]!["positions"]!)
      assert.isAbove(blunders.length, 50)
      assert.isAbove(puzzleGames.size, 0)
      for (const b of blunders) {
        assert.isFalse(puzzleGames.has(b.game), `game ${b.game} gave a puzzle`)
        assert.isFalse(puzzleKeys.has(positionKey(b.fen)), `${b.fen} is a puzzle's position`)
        assert.include(b.legal, b.move)
      }
      assert.strictEqual(new Set(blunders.map((b) => positionKey(b.fen))).size, blunders.length, "one row per position")
    }), { timeout: 120_000 })

  it.live("the data stages give the same bytes in worker threads (where the CLI runs them, the WASM engine in the node's thread) as inline", () =>
    Effect.gen(function*() {
      const graph = yield* Effect.fromResult(Targets.select(yield* Pipeline.graph(w2s, undefined, tiny), ["corpus/*", "puzzles/*"]))
      const hashes = (kind: RunnerKind) =>
        Effect.gen(function*() {
          const s = memoryStore()
          const summary = yield* Scheduler.run(graph, { jobs: 2 }).pipe(Effect.provide(layers([], runnerLayer(kind))), Effect.provide(s.store))
          assert.strictEqual(Scheduler.tally(summary).failed, 0, JSON.stringify(summary.nodes.filter((n) => n.outcome === "failed")))
          return outputsOf(s.store, Planner.plan(graph, records(s.store)))
        })
      // heavy: each node in a worker thread of its own under the CLI's runner
      assert.isTrue(puzzles.heavy && games.heavy)
      const inline = yield* hashes("inline")
      assert.sameMembers(Object.keys(inline), ["corpus/0", "puzzles/0", "puzzles/1"])
      for (const [id, outs] of Object.entries(inline)) assert.isDefined(outs, id)
      assert.deepStrictEqual(yield* hashes("workers"), inline)
    }), { timeout: 120_000 })

  it.live("two WASM engines opened at once in this thread leave the process's error handlers, exit code and globals as they were; a closed engine refuses work", () =>
    Effect.promise(async () => {
      const events = ["uncaughtException", "unhandledRejection"]
      const emitter: NodeJS.EventEmitter = process
      const before = events.map((e) => emitter.listeners(e))
      const globals = globalThis as { fetch?: unknown; XMLHttpRequest?: unknown }
      const { fetch } = globals
      const hadXhr = "XMLHttpRequest" in globals
      const code = process.exitCode
      process.exitCode = 3
      try {
        const engines = await Promise.all([UciEngine.open("wasm"), UciEngine.open("wasm")])
        for (const engine of engines) {
          const lines = await engine.analyse("3r2k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - 0 1", { depth: 4 }, 1)
          assert.strictEqual(lines[0]!.move, "d1d8")
        }
        await Promise.all(engines.map((e) => e.close()))
        assert.strictEqual(process.exitCode, 3)
        events.forEach((e, i) => assert.deepStrictEqual(emitter.listeners(e), before[i], e))
        assert.strictEqual(globals.fetch, fetch)
        assert.strictEqual("XMLHttpRequest" in globals, hadXhr)
        await assertRejects(engines[0]!.analyse("3r2k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - 0 1", { depth: 4 }, 1), /closed/)
      } finally {
        process.exitCode = code
      }
    }), { timeout: 60_000 })

  it.live("the rule on hand-checked positions: the only mate is kept; two equal winning moves are rejected", () =>
    Effect.promise(async () => {
      const engine = await UciEngine.open("wasm")
      try {
        const rule = { minBestCp: 200, maxSecondCp: 50 }
        // Back-rank mate: Rxd8# is the only move that wins (any other lets Black mate or hold).
        const mate = await engine.analyse("3r2k1/5ppp/8/8/8/8/5PPP/3R2K1 w - - 0 1", { depth: 10 }, 2)
        assert.deepStrictEqual(judge(mate, rule), { keep: true })
        assert.strictEqual(mate[0]!.move, "d1d8")
        assert.deepStrictEqual(mate[0]!.score, { mate: 1 })
        // Either knight takes the undefended queen on d5: two moves win equally (+7), so no puzzle.
        const twoWays = await engine.analyse("4k3/8/8/3q4/8/2N1N3/PPP5/4K3 w - - 0 1", { depth: 10 }, 2)
        assert.sameMembers(twoWays.map((l) => l.move), ["c3d5", "e3d5"])
        const verdict = judge(twoWays, rule)
        assert.isFalse(verdict.keep)
        assert.match((verdict as { why: string }).why, /a second move also wins/)
        // A single legal move is forced, not found.
        const forced = await engine.analyse("7k/8/8/8/8/8/6q1/7K w - - 0 1", { depth: 6 }, 2)
        assert.isFalse(judge(forced, rule).keep)
      } finally {
        await engine.close()
      }
    }), { timeout: 60_000 })

  it("the rule's thresholds, on synthetic lines", () => {
    const rule = { minBestCp: 200, maxSecondCp: 50 }
    const l = (cp: number, move = "a1a2") => ({ move, depth: 10, score: { cp } })
    assert.isTrue(judge([l(250), l(40)], rule).keep)
    assert.isFalse(judge([l(150), l(-300)], rule).keep)
    assert.isFalse(judge([l(400), l(120)], rule).keep)
    assert.isTrue(judge([{ move: "x", depth: 9, score: { mate: 3 } }, l(0)], rule).keep)
    assert.isFalse(judge([{ move: "x", depth: 9, score: { mate: 1 } }, { move: "y", depth: 9, score: { mate: 2 } }], rule).keep)
    // the screen's margin admits near misses for confirmation
    assert.isTrue(judge([l(170), l(60)], rule, 50).keep)
  })
})

describe("puzzle generator", () => {
  const shard = { seed: 1, first: 3, count: 6, engine: "wasm", openingPlies: { min: 2, max: 8 }, maxPlies: 200, blunderRate: 0.3, windowCp: 30, screenNodes: 200, screenMarginCp: 50, depth: 6, minBestCp: 200, maxSecondCp: 50, maxPerGame: 4, resignCp: 1500, moveNodes: 100, swingCp: 50, moveMarginCp: 150 }
  const run = (params: Record<string, unknown>) =>
    puzzles.run({ node: "t", params, inputs: {}, log: () => {}, progress: () => {}, annotate: () => {} } as never) as Effect.Effect<{ puzzles: ReadonlyArray<Puzzle>; analysed: ReadonlyArray<Analysed> }>
  const sha = (x: unknown) => createHash("sha256").update(JSON.stringify(x)).digest("hex")

  it.live("every-position is the generator that came before after-mistake: the same puzzles, byte for byte", () =>
    Effect.gen(function*() {
      const out = yield* run({ ...shard, strategy: "every-position" })
      // the 9 puzzles of games 3-8 as the stage's version 1 made them (before the after-mistake strategy), with the WASM engine pinned in package-lock.json
      assert.strictEqual(out.puzzles.length, 9)
      assert.strictEqual(sha(out.puzzles), "339edc6f66f81138c704454927460935d644fb8c791687a72c6dfebb96ad02ff")
    }), { timeout: 60_000 })

  it.live("after-mistake: a shard is the same on every run; the analysed positions have their schema, known games and no puzzle among them", () =>
    Effect.gen(function*() {
      const a = yield* run({ ...shard, strategy: "after-mistake" })
      const b = yield* run({ ...shard, strategy: "after-mistake" })
      assert.strictEqual(sha(a), sha(b))
      assert.isAbove(a.puzzles.length, 0)
      // the table round-trips through its codec with every column
      const bytes = yield* AnalysedPositions.encode(a.analysed, "analysed")
      const back = yield* AnalysedPositions.decode(bytes, "analysed")
      assert.deepStrictEqual(back.map((r) => ({ ...r })), a.analysed.map((r) => ({ ...r })))
      assert.sameMembers(Object.keys(back[0]!), ["fen", "legal", "move", "evalCp", "nodes", "engine", "game", "ply"])
      const games = new Set(a.analysed.map((r) => r.game))
      assert.deepStrictEqual([...games].sort((x, y) => x - y), [3, 4, 5, 6, 7, 8], "every game of the shard, and only those")
      const puzzleFens = new Set(a.puzzles.map((p) => p.fen))
      for (const r of a.analysed) {
        assert.include(r.legal, r.move, "the engine's move is legal")
        assert.isFalse(puzzleFens.has(r.fen), "a kept puzzle is not also an analysed position")
        assert.strictEqual(r.nodes, shard.moveNodes)
      }
      for (const p of a.puzzles) assert.isTrue(games.has(p.game), `puzzle game ${p.game} is a game of the shard`)
    }), { timeout: 60_000 })

  it.live("a game is the same whichever shard plays it: games 6-8 alone equal games 6-8 played after 3-5", () =>
    Effect.gen(function*() {
      const all = yield* run({ ...shard, strategy: "after-mistake" })
      const late = yield* run({ ...shard, strategy: "after-mistake", first: 6, count: 3 })
      const of = <R extends { game: number }>(rows: ReadonlyArray<R>) => rows.filter((r) => r.game >= 6)
      assert.isAbove(of(all.analysed).length, 0)
      assert.strictEqual(sha(of(all.puzzles)), sha(late.puzzles))
      assert.strictEqual(sha(of(all.analysed)), sha(late.analysed))
    }), { timeout: 60_000 })

  it.effect("blunder positions are made only when the dial gives members engine-best targets, and only pretrained members read them", () =>
    Effect.gen(function*() {
      const readers = (sets: ReadonlyArray<string>) =>
        Effect.map(planPipeline(memoryStore().store, w2s, ["data.engine=wasm", ...sets]), (plan) => ({
          made: plan.nodes.some((n) => n.id === "blunder-positions"),
          readers: plan.nodes.filter((n) => n.needs.includes("blunder-positions")).map((n) => n.id).sort()
        }))
      // at a dial above 0 the default ladder pretrains s1, s2 and s3 on them (one pretraining run here)
      assert.deepStrictEqual(yield* readers(["scoreOn=\"test\"", "replicates=1", "pretraining.best=0.5"]), { made: true, readers: ["pretrain/s1", "pretrain/s2", "pretrain/s3"] })
      // played moves only: no member reads them, so they are not made
      assert.deepStrictEqual(yield* readers(["scoreOn=\"test\"", "replicates=1", "pretraining.best=0"]), { made: false, readers: [] })
      // a member without pretraining examples reads none, whatever the dial
      assert.deepStrictEqual(yield* readers(["scoreOn=\"test\"", "replicates=1", "pretraining.best=1", "ladder.1.pretrain.examples=0", "ladder.2.pretrain.examples=0"]), { made: true, readers: ["pretrain/s3"] })
    }))

  it.effect("engine auto is the engine that will run, and the data's keys name it", () =>
    Effect.gen(function*() {
      const expected = nativeAvailable() ? "native" : "wasm"
      assert.strictEqual(resolveEngine("auto"), expected)
      const dataKeys = (engine: string) =>
        Effect.map(planPipeline(memoryStore().store, w2s, [`data.engine=${engine}`], "smoke"), (plan) => plan.nodes.filter((n) => /^(corpus|puzzles)\//.test(n.id)).map((n) => n.key))
      const auto = yield* dataKeys("auto")
      assert.deepStrictEqual(auto, yield* dataKeys(expected))
      assert.notDeepEqual(auto, yield* dataKeys(expected === "wasm" ? "native" : "wasm"))
    }))
})

describe("board", () => {
  it("legal moves in engine notation: perft(1) counts, castling as e1g1, promotions spelled out", () => {
    assert.strictEqual(new Game().legal().length, 20)
    const kiwipete = new Game(fromFen("r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1"))
    const moves = kiwipete.legal()
    assert.strictEqual(moves.length, 48)
    assert.includeMembers(moves, ["e1g1", "e1c1"])
    kiwipete.play("e1g1")
    assert.match(kiwipete.fen(), /^r3k2r\/.* b kq - 1 1$/)
    assert.match(kiwipete.fen(), /R4RK1 b/)
    const promo = new Game(fromFen("8/P6k/8/8/8/8/8/K7 w - - 0 1")).legal()
    assert.includeMembers(promo, ["a7a8q", "a7a8r", "a7a8b", "a7a8n"])
    assert.throws(() => new Game().play("e2e5"), /illegal move e2e5/)
  })

  it("games end by threefold repetition", () => {
    const g = new Game()
    for (const m of ["g1f3", "g8f6", "f3g1", "f6g8", "g1f3", "g8f6", "f3g1"]) g.play(m)
    assert.isFalse(g.isOver())
    g.play("f6g8")
    assert.isTrue(g.isOver())
  })
})

describe("split", () => {
  const puzzle = (fen: string, game: number): Puzzle => ({
    fen, side: "w", legal: ["a1a2"], best: "a1a2", bestCp: 300, secondCp: 0, engine: "t", depth: 1, game, ply: 0, phase: "opening", pieces: 3
  })
  it.effect("drops duplicates and corpus positions, assigns by hash independently of order", () =>
    Effect.gen(function*() {
      const rows = [
        puzzle("6k1/5ppp/8/8/8/8/8/R5K1 w - - 0 1", 1),
        puzzle("6k1/5ppp/8/8/8/8/8/R5K1 w - - 7 30", 2), // same position, other counters
        puzzle("4k3/8/8/3q4/8/2N1N3/8/4K3 w - - 0 1", 3),
        puzzle("7k/8/8/8/8/8/6q1/7K w - - 0 1", 4)
      ]
      const corpus = [{ fen: "7k/8/8/8/8/8/6q1/7K w - - 3 9", legal: [], move: "h1h2", ply: 0, game: 0 }]
      const params = { seed: 1, fractions: { weak: 0.2, strong: 0.2, val: 0.2, test: 0.2, fresh: 0.2 } }
      const ctx = (puzzles: ReadonlyArray<ReadonlyArray<Puzzle>>) => ({
        node: "split", params, inputs: { puzzles, corpus: [corpus] }, log: () => {}, progress: () => {}, annotate: () => {}
      })
      const out = yield* split.run(ctx([rows])) as Effect.Effect<any>
      assert.strictEqual(out.report.duplicates, 1)
      assert.strictEqual(out.report.inCorpus, 1)
      const where = (o: any) => Object.fromEntries(["weak", "strong", "val", "test", "fresh"].flatMap((n) => o[n].map((p: Puzzle) => [positionKey(p.fen), n])))
      const reversed = yield* split.run(ctx([[...rows].reverse()])) as Effect.Effect<any>
      assert.deepStrictEqual(where(reversed), where(out))
      assert.strictEqual(Object.keys(where(out)).length, 2)
      // exact sizes: blocks of the hash order; asking for more than there is fails, saying so
      const sized = yield* split.run({ ...ctx([rows]), params: { seed: 1, sizes: { weak: 1, strong: 1, val: 0, test: 0, fresh: 0 } } }) as Effect.Effect<any>
      assert.deepStrictEqual([sized.weak.length, sized.strong.length], [1, 1])
      const tooMany = yield* Effect.exit(split.run({ ...ctx([rows]), params: { seed: 1, sizes: { weak: 5, strong: 0, val: 0, test: 0, fresh: 0 } } }) as Effect.Effect<any>)
      assert.isTrue(Exit.isFailure(tooMany))
      assert.match(String((Cause.squash((tooMany as Exit.Failure<unknown, unknown>).cause) as Error).message), /need 5 puzzles but 2 are usable/)
    }))

  it.effect("confirm: new games only, none at a corpus or ordinary puzzle position, dealt to disjoint parts by game", () =>
    Effect.gen(function*() {
      // 24 confirmatory games of 2 puzzles each at distinct positions (a king walk), games 100-123
      const fenAt = (i: number) => `${Array.from({ length: 8 }, (_, r) => (r === 0 ? "7k" : r === 1 + Math.floor(i / 8) ? `${i % 8 === 0 ? "" : i % 8}K${i % 8 === 7 ? "" : 7 - (i % 8)}` : "8")).join("/")} w - - 0 1`
      const fresh = Array.from({ length: 48 }, (_, i) => puzzle(fenAt(i), 100 + Math.floor(i / 2)))
      const ordinary = [puzzle(fenAt(0), 1)] // game 1 holds the position of confirmatory puzzle 0
      const corpus = [{ fen: fenAt(1), legal: [], move: "h1h2", ply: 0, game: 0 }]
      const blunders = [{ fen: fenAt(2), legal: [], move: "h1h2", ply: 0, game: 5 }] // a pretraining target
      const run = (part: number, parts: number, shards = [fresh]) =>
        confirm.run({ node: "c", params: { seed: 1, part, parts }, inputs: { confirm: shards, puzzles: [ordinary], corpus: [corpus], pretraining: [blunders] }, log: () => {}, progress: () => {}, annotate: () => {} } as never) as unknown as Effect.Effect<{ test: Array<Puzzle>; testBoards: Array<{ fen: string }> }>
      const parts = [yield* run(0, 3), yield* run(1, 3), yield* run(2, 3)]
      const all = parts.flatMap((x) => x.test)
      // the three puzzles at a corpus, blunder-position or ordinary position are dropped, the rest dealt out once each
      assert.strictEqual(all.length, 45)
      assert.strictEqual(new Set(all.map((x) => positionKey(x.fen))).size, 45)
      for (const k of [0, 1, 2]) assert.notInclude(all.map((x) => x.fen), fenAt(k))
      // a game's puzzles stay together, every part gets some, and the boards carry no answers
      const partOf = new Map<number, number>()
      parts.forEach((x, k) =>
        x.test.forEach((p) => {
          assert.strictEqual(partOf.get(p.game) ?? k, k)
          partOf.set(p.game, k)
        })
      )
      for (const x of parts) {
        assert.isAbove(x.test.length, 0)
        assert.deepStrictEqual(x.testBoards.map((b) => Object.keys(b).sort()), x.test.map(() => ["fen", "legal"]))
      }
      // the same dealing whatever the shards' order
      const reversed = yield* run(1, 3, [[...fresh].reverse()])
      assert.deepStrictEqual(reversed.test.map((x) => x.fen), parts[1]!.test.map((x) => x.fen))
      // a confirmatory game that is also an ordinary one is refused, naming it
      const clash = yield* Effect.exit(run(0, 3, [[puzzle(fenAt(40), 1)]]))
      assert.isTrue(Exit.isFailure(clash))
      assert.match(String((Cause.squash((clash as Exit.Failure<unknown, unknown>).cause) as Error).message), /confirmatory game 1 is also an ordinary puzzle shard's/)
    }))

  it.effect("scoreOn confirm: every model is scored on its seed's confirmatory part; the test split is then read by nothing", () =>
    Effect.gen(function*() {
      const g = yield* Pipeline.graph(w2s, "default", ["scoreOn=\"confirm\"", "replicates=1", "seeds=[0,1]", "pretraining.best=0.5"])
      const confirmShards = g.nodes.filter((n) => n.id.startsWith("confirm-puzzles/"))
      assert.strictEqual(confirmShards.length, 24)
      // their games start far above any preset's ordinary games (40 x 500 here), wherever those end
      assert.deepStrictEqual(confirmShards.map((n) => (n.params as { first: number }).first).slice(0, 2), [10_000_000, 10_000_500])
      const more = yield* Pipeline.graph(w2s, "default", ["scoreOn=\"confirm\"", "replicates=1", "seeds=[0,1]", "data.puzzles.shards=60"])
      assert.strictEqual(more.byId.get("confirm-puzzles/0")!.paramsText, g.byId.get("confirm-puzzles/0")!.paramsText)
      // every confirm node also reads the blunder positions (pretraining targets) where they are made
      for (const n of g.nodes.filter((x) => x.stage.name === "confirm")) assert.include(Object.values(n.inputs).map((w) => w.node), "blunder-positions")
      const played = yield* Pipeline.graph(w2s, "default", ["scoreOn=\"confirm\"", "replicates=1", "seeds=[0,1]", "pretraining.best=0"])
      assert.isFalse(played.nodes.some((n) => n.id === "blunder-positions"))
      for (const n of g.nodes) {
        for (const w of Object.values(n.inputs)) {
          assert.isFalse(w.node.startsWith("split/") && (w.port === "test" || w.port === "testBoards"), `${n.id} reads the test split`)
        }
        if (n.stage.name === "evaluate") assert.strictEqual(n.inputs.test!.node, `confirm/${n.id.split("/").pop()}`)
      }
      assert.deepStrictEqual(g.nodes.filter((n) => n.stage.name === "confirm").map((n) => n.params), [{ seed: 1, part: 0, parts: 2 }, { seed: 1, part: 1, parts: 2 }])
      // scored on test, no confirmatory node is made
      const plain = yield* Pipeline.graph(w2s, "default", ["scoreOn=\"test\"", "replicates=1", "seeds=[0,1]"])
      assert.isFalse(plain.nodes.some((n) => n.id.startsWith("confirm")))
    }))

  it.effect("keeps every game's puzzles in one split, whatever the seed; exact sizes cut a game short rather than split it", () =>
    Effect.gen(function*() {
      // 40 games of 1 to 4 puzzles each (100 in all), distinct positions (a king walk), no corpus
      const fenAt = (i: number) => {
        const file = i % 8, rank = Math.floor(i / 8) % 6 // white king on ranks 1-6
        const row = (f: number) => (f === 0 ? "K7" : f === 7 ? "7K" : `${f}K${7 - f}`)
        const ranks = Array.from({ length: 8 }, (_, r) => (r === 0 ? (i >= 96 ? "k7" : "7k") : 7 - r === rank ? row(file) : "8"))
        return `${ranks.join("/")} ${Math.floor(i / 48) % 2 ? "b" : "w"} - - 0 1`
      }
      const unique: Array<Puzzle> = []
      for (let g = 0; g < 40; g++) for (let k = 0; k <= g % 4; k++) unique.push({ ...puzzle(fenAt(unique.length), g), ply: k })
      assert.strictEqual(new Set(unique.map((r) => positionKey(r.fen))).size, 100)
      const ctx = (params: any) => ({ node: "split", params, inputs: { puzzles: [unique], corpus: [[]] }, log: () => {}, progress: () => {}, annotate: () => {} })
      const gamesOf = (o: any) => {
        const owner = new Map<number, string>()
        for (const n of ["weak", "strong", "val", "test", "fresh"]) {
          for (const p of o[n] as Array<Puzzle>) {
            assert.include([undefined, n], owner.get(p.game), `game ${p.game} is in ${owner.get(p.game)} and ${n}`)
            owner.set(p.game, n)
          }
        }
        return owner
      }
      const placements = []
      for (const seed of [1, 2, 3]) {
        const out = yield* split.run(ctx({ seed, fractions: { weak: 0.2, strong: 0.2, val: 0.2, test: 0.2, fresh: 0.2 } })) as Effect.Effect<any>
        placements.push(JSON.stringify([...gamesOf(out)].sort((a, b) => a[0] - b[0])))
        assert.deepStrictEqual(out.testBoards, out.test.map((p: Puzzle) => ({ fen: p.fen, legal: p.legal })))
        const sized = yield* split.run(ctx({ seed, sizes: { weak: 7, strong: 7, val: 3, test: 5, fresh: 0 } })) as Effect.Effect<any>
        assert.deepStrictEqual(["weak", "strong", "val", "test"].map((n) => sized[n].length), [7, 7, 3, 5])
        gamesOf(sized)
      }
      // a seed is a replication: another seed deals the games differently
      assert.strictEqual(new Set(placements).size, 3)
    }))
})

describe("bad input names the problem", () => {
  const failure = (sets: ReadonlyArray<string>) =>
    Effect.map(Effect.result(Pipeline.graph(w2s, "smoke", sets)), (r) => (Result.isFailure(r) ? (r.failure as { message: string }).message : ""))
  it.effect("a negative count, an unknown engine", () =>
    Effect.gen(function*() {
      assert.match(yield* failure(["data.puzzles.gamesPerShard=-3"]), /greater than or equal to 1.*gamesPerShard/)
      assert.match(yield* failure(["data.engine=deep-blue"]), /engine/)
      assert.match(yield* failure(["data.split.fractions.test=2"]), /test/)
      // an empty sweep is bad input, not an empty experiment
      for (const p of ["seeds", "methods", "sizes.weak", "sizes.strong", "ladder"]) {
        assert.match(yield* failure([`${p}=[]`]), new RegExp(`length of at least 1 at \\["${p.split(".").join('"\\]\\["')}"\\]`), p)
      }
      // bootstrapping needs a fresh slice as large as the student split per step
      assert.match(
        yield* Effect.map(Effect.result(Pipeline.graph(w2s, "default", ["data.split.fractions.fresh=0.3", 'bootstrap.through=["s1","s2"]'])), (r) => (Result.isFailure(r) ? (r.failure as { message: string }).message : "")),
        /bootstrapping s0 -> s3 takes 2 steps.*at least 2 times the strong split/
      )
      // the default chains (through s2) take one step, and still need a fresh split as large as the strong one
      for (const fresh of ["0.1", "0"]) {
        assert.match(
          yield* Effect.map(Effect.result(Pipeline.graph(w2s, "default", [`data.split.fractions.fresh=${fresh}`])), (r) => (Result.isFailure(r) ? (r.failure as { message: string }).message : "")),
          new RegExp(`bootstrapping s0 -> s3 takes 1 step,.*at least 1 times the strong split \\(data.split\\), it is ${fresh === "0" ? "0.00" : "0.50"} times`)
        )
      }
    }))
  it.effect("a bootstrapping chain through a member the ladder lacks", () =>
    Effect.gen(function*() {
      assert.match(yield* failure(['bootstrap.through=["s9"]']), /size 's9' is not in the ladder \(s0, s1, s2\)/)
    }))
  it("a FEN that does not parse", () => {
    assert.throws(() => fromFen("rnbqkbnr/pppppppp/8/8 w KQkq"), /FEN 'rnbqkbnr\/pppppppp\/8\/8 w KQkq' does not parse/)
  })
})
