/**
 * The scheduler: runs a graph against the store by handing its nodes to the rebuilder in order. It
 * plans first, then starts every node as soon as its upstream is done, while the cores its running
 * nodes declare (each stage's `cpu`, 1 unless it says otherwise) stay within `jobs`.
 * Before building, a node is keyed from the content hashes its upstream actually produced, so a
 * re-run upstream that made the same bytes leaves it cached (early cutoff). Whether a node is up to
 * date, and building it when not, is the rebuilder's business (`Rebuilder.ts`); this module only
 * decides when, and keeps the outcomes.
 *
 * Failure: by default the first failed node cancels the rest (fail-fast); with `keepGoing` the
 * nodes that do not depend on it go on. Interruption (Ctrl-C) cancels running nodes and releases
 * their locks; what was committed stays committed. A node that finds an input object damaged (its
 * bytes no longer match their hash) does not run on it: the object is removed and the run planned
 * again, so the node that made it recomputes it first (at most twice per run).
 */
import { Deferred, Effect, Exit, Semaphore } from "effect"
import { CacheNotWritable, type StageFailed } from "./Errors.ts"
import type { Graph, GraphNode } from "./Pipeline.ts"
import { inputHashes, keyOf, type Plan, plan } from "./Planner.ts"
import { madeHere, Rebuilder } from "./Rebuilder.ts"
import type { Committed } from "./Record.ts"
import { Reporter } from "./Reporter.ts"
import { Objects } from "./store/Objects.ts"
import { type RecordView, Records } from "./store/Records.ts"
import { Runs } from "./store/Runs.ts"

export interface RunOptions {
  /** Cores the running nodes may declare between them: `jobs` nodes at once of stages without `cpu`. */
  readonly jobs: number
  readonly force?: (id: string) => boolean
  readonly keepGoing?: boolean
  /**
   * Told each node's outcome as soon as it is known (a node repaired and run again is told twice):
   * what a run that is interrupted or fails still knows of what it used and committed.
   */
  readonly onOutcome?: (outcome: NodeOutcome) => void
}

export type Outcome = "cached" | "ran" | "reused" | "failed" | "skipped" | "cancelled"

export interface NodeOutcome {
  readonly id: string
  readonly stage: string
  readonly outcome: Outcome
  readonly key?: string | undefined
  readonly durationMs?: number | undefined
  readonly message?: string | undefined
  /** an input object found damaged when this node tried to read it */
  readonly damagedInput?: string | undefined
}

export interface RunSummary {
  readonly plan: Plan
  readonly nodes: ReadonlyArray<NodeOutcome>
  readonly wallMs: number
}

/** Counts of outcomes. */
export const tally = (s: RunSummary): Record<Outcome, number> => {
  const t: Record<Outcome, number> = { cached: 0, ran: 0, reused: 0, failed: 0, skipped: 0, cancelled: 0 }
  for (const n of s.nodes) t[n.outcome]++
  return t
}

/**
 * Fixes every stage's code fingerprint for this process now (each is read once, then memoised), before
 * any node runs. The CLI runs a bundle loaded when it started, so a key must name that code, not an
 * edit made to the sources while the run goes on; otherwise a fingerprint is first read when a node is
 * first keyed, which on a cold cache can be an hour in. `pipeline run` calls it as soon as it has the
 * graph, and `run` again (for library callers); the second call costs a pass over the nodes.
 */
export const readFingerprints = (graph: Graph): void => {
  for (const stage of new Set(graph.nodes.map((n) => n.stage))) stage.fingerprint()
}

/**
 * Runs a graph and returns what happened to each node, failures included (see `tally`). Fails only
 * when interrupted, or with `CacheNotWritable` when there is work and the cache cannot be written.
 */
export const run = (graph: Graph, options: RunOptions) =>
  Effect.scoped(Effect.gen(function*() {
    const records = yield* Records
    const objects = yield* Objects
    const runs = yield* Runs
    const reporter = yield* Reporter
    const force = options.force ?? (() => false)
    readFingerprints(graph)
    const first = plan(graph, records, { force })
    const todo = first.nodes.filter((n) => n.status === "run").length
    // While this run is active, `gc` keeps everything written since it started. A run with nothing
    // to do writes nothing and skips this, so a no-op run is cheap and works on a read-only cache.
    if (todo > 0) yield* runs.register.pipe(Effect.mapError((cause) => new CacheNotWritable({ cause, nodes: todo })))
    const t0 = Date.now()
    const ranBefore = new Set<string>()
    for (let attempt = 1; ; attempt++) {
      const summary = yield* runOnce(graph, options, attempt === 1 ? first : undefined)
      const damaged = [...new Set(summary.nodes.flatMap((n) => (n.damagedInput ? [n.damagedInput] : [])))]
      if (damaged.length === 0 || attempt === 3) {
        yield* records.saveIndex
        yield* reporter.close
        return {
          ...summary,
          nodes: summary.nodes.map((n) => (ranBefore.has(n.id) && n.outcome === "cached" ? { ...n, outcome: "ran" as const } : n)),
          wallMs: Date.now() - t0
        }
      }
      // A damaged object is never used: remove it, so that the node that made it is planned again
      // ("output missing or damaged") and the nodes that need it run after it.
      for (const n of summary.nodes) if (n.outcome === "ran") ranBefore.add(n.id)
      for (const hash of damaged) {
        yield* objects.remove(hash).pipe(Effect.orDie)
        const reader = summary.nodes.find((n) => n.damagedInput === hash)!
        reporter.emit({ _tag: "Repaired", node: reader.id, object: hash })
      }
    }
  }))

/**
 * The expected wall time of each node the plan runs, from the stored timings: the record the node
 * last committed (any params), else the mean of the records of its stage's other nodes (those the
 * plan finds cached, at most 5 a stage, and those last committed for nodes to run). Reads a record
 * per node to run and a few per stage; none for a run with nothing to do.
 */
export const estimates = (graph: Graph, thePlan: Plan, records: RecordView): Record<string, number> => {
  const toRun = thePlan.nodes.filter((n) => n.status === "run")
  if (toRun.length === 0) return {}
  const own = new Map<string, number>()
  const byStage = new Map<string, Array<number>>()
  const sample = (stage: string, ms: number) => byStage.set(stage, [...(byStage.get(stage) ?? []), ms])
  for (const n of toRun) {
    const key = records.previousKey(graph.pipeline, n.id)
    const found = key === undefined ? undefined : records.read(key)
    if (found?._tag !== "Present") continue
    own.set(n.id, found.record.durationMs)
    sample(n.stage, found.record.durationMs)
  }
  const wanted = new Set(toRun.filter((n) => !own.has(n.id)).map((n) => n.stage))
  for (const n of thePlan.nodes) {
    if (n.status !== "cached" || n.key === undefined || !wanted.has(n.stage) || (byStage.get(n.stage)?.length ?? 0) >= 5) continue
    const found = records.read(n.key)
    if (found._tag === "Present") sample(n.stage, found.record.durationMs)
  }
  const out: Record<string, number> = {}
  for (const n of toRun) {
    const ms = own.get(n.id) ?? mean(byStage.get(n.stage))
    if (ms !== undefined) out[n.id] = ms
  }
  return out
}

const mean = (xs: ReadonlyArray<number> | undefined) => (xs && xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined)

/** Semaphore permits per core of `jobs` (so a stage's `cpu` of 1/2, 1/3, 1/4, 2/3, 3/4 is exact). */
const CORE = 12

/** The permits a node takes: its stage's `cpu` in twelfths, rounded up, at least 1, at most all. */
const permitsOf = (node: GraphNode, jobs: number): number =>
  Math.min(Math.max(1, jobs) * CORE, Math.max(1, Math.ceil((node.stage.cpu ?? 1) * CORE - 1e-9)))

/** One pass over the graph: plan, then build what the plan says. */
const runOnce = (graph: Graph, options: RunOptions, planned0?: Plan) =>
  Effect.gen(function*() {
    const records = yield* Records
    const rebuilder = yield* Rebuilder
    const reporter = yield* Reporter
    const t0 = Date.now()
    const force = options.force ?? (() => false)
    const thePlan = planned0 ?? plan(graph, records, { force })
    const planned = new Map(thePlan.nodes.map((p) => [p.id, p]))
    reporter.emit({
      _tag: "Planned",
      pipeline: graph.pipeline,
      toRun: thePlan.nodes.filter((n) => n.status === "run").length,
      cached: thePlan.nodes.filter((n) => n.status === "cached").map((n) => n.id),
      estimates: estimates(graph, thePlan, records),
      jobs: options.jobs,
      cpu: Object.fromEntries(thePlan.nodes.flatMap((n) => {
        const node = n.status === "run" ? graph.byId.get(n.id) : undefined
        const cores = node === undefined ? 1 : permitsOf(node, options.jobs) / CORE
        return cores === 1 ? [] : [[n.id, cores]]
      }))
    })
    const outcomes = new Map<string, NodeOutcome>()
    const told = options.onOutcome ?? (() => {})
    // Nodes cached at planning time are settled here, without a fiber each: a no-op run stays cheap.
    const settled = new Map<string, Committed | undefined>()
    const toRun: Array<GraphNode> = []
    for (const n of graph.nodes) {
      const p = planned.get(n.id)!
      if (p.status === "cached") {
        settled.set(n.id, p.record)
        const o: NodeOutcome = { id: n.id, stage: n.stage.name, outcome: "cached", key: p.key }
        outcomes.set(n.id, o)
        told(o)
      } else {
        toRun.push(n)
      }
    }
    const done = new Map<string, Deferred.Deferred<Committed | undefined>>()
    for (const n of toRun) done.set(n.id, yield* Deferred.make<Committed | undefined>())
    const upstreamRecord = (id: string) => (settled.has(id) ? Effect.succeed(settled.get(id)) : Deferred.await(done.get(id)!))
    // Permits are twelfths of a core, a node's `cpu` rounded up (so the nodes running never declare
    // more than `jobs` between them) and at least one. A node asking for more than `jobs` takes them
    // all: it runs alone. Semaphore serves the first waiting node whose permits are free, so a node
    // that needs more may wait until every lighter node ready before it, or meanwhile, has started.
    const cores = yield* Semaphore.make(Math.max(1, options.jobs) * CORE)
    const slotOf = (node: GraphNode) => cores.withPermits(permitsOf(node, options.jobs))
    const record = (o: NodeOutcome) =>
      Effect.sync(() => {
        outcomes.set(o.id, o)
        told(o)
      })

    const runNode = (node: GraphNode) => {
      // The node's key once known: an interrupt that lands after the commit and before the outcome
      // is told still reports the key, so the run's summary (a gc root) holds what it committed.
      let keyKnown: string | undefined
      return Effect.gen(function*() {
        const p = planned.get(node.id)!
        const upstream = new Map<string, Committed | undefined>()
        for (const id of p.needs) upstream.set(id, yield* upstreamRecord(id))
        const missing = p.needs.find((id) => upstream.get(id) === undefined)
        if (missing !== undefined) {
          reporter.emit({ _tag: "Skipped", node: node.id, because: `upstream ${missing} did not complete` })
          yield* record({ id: node.id, stage: node.stage.name, outcome: "skipped", message: `upstream ${missing} did not complete` })
          return undefined
        }
        const inputs = inputHashes(node, (id) => upstream.get(id))!
        // The key is computed once per node: the plan's, when every input was already committed when
        // it planned (the same records, so the same hashes); else now, from what upstream committed.
        const key = p.key !== undefined && p.needs.every((id) => settled.has(id)) ? p.key : keyOf(node, inputs)
        keyKnown = key
        const job = { pipeline: graph.pipeline, node: node.id, stage: node.stage, params: node.params, inputs, key }
        const built = yield* rebuilder.build(job, {
          force: force(node.id),
          slot: slotOf(node),
          events: {
            waiting: () => reporter.emit({ _tag: "Waiting", node: node.id }),
            started: () => reporter.emit({ _tag: "Started", node: node.id, stage: node.stage.name, reason: p.reason }),
            job: (j) => reporter.emit({ _tag: "Job", node: node.id, ...j }),
            log: (line) => reporter.emit({ _tag: "Log", node: node.id, line }),
            progress: (progress) => reporter.emit({ _tag: "Progress", node: node.id, progress })
          }
        }).pipe(
          Effect.tapError((e: StageFailed) =>
            Effect.all([
              // A damaged input is repaired by the next pass (see `run`), not reported as a failure.
              Effect.sync(() => e.damagedInput === undefined && reporter.emit({ _tag: "Failed", node: node.id, message: e.message })),
              record({ id: node.id, stage: node.stage.name, outcome: "failed", key, message: e.message, damagedInput: e.damagedInput })
            ])
          )
        )
        switch (built._tag) {
          case "Cached":
            reporter.emit({ _tag: "Cached", node: node.id, early: true })
            yield* record({ id: node.id, stage: node.stage.name, outcome: "cached", key })
            break
          case "Reused":
            reporter.emit({ _tag: "Ran", node: node.id, durationMs: 0, reused: true })
            yield* record({ id: node.id, stage: node.stage.name, outcome: "reused", key })
            break
          case "Ran":
            reporter.emit({ _tag: "Ran", node: node.id, durationMs: built.record.durationMs, reused: false })
            yield* record({ id: node.id, stage: node.stage.name, outcome: "ran", key, durationMs: built.record.durationMs })
        }
        return built.record
      }).pipe(
        Effect.onExit((exit) => Deferred.succeed(done.get(node.id)!, Exit.isSuccess(exit) ? exit.value : undefined)),
        Effect.onInterrupt(() =>
          Effect.gen(function*() {
            if (!outcomes.has(node.id)) {
              const committed = keyKnown !== undefined ? records.read(keyKnown) : undefined
              if (committed?._tag === "Present") {
                // committed just before the interrupt reached it: done, not cancelled
                yield* record({ id: node.id, stage: node.stage.name, outcome: madeHere(committed.record) ? "ran" : "reused", key: keyKnown })
              } else {
                yield* record({ id: node.id, stage: node.stage.name, outcome: "cancelled" })
                reporter.emit({ _tag: "Cancelled", node: node.id })
              }
            }
          })
        ),
        // With --keep-going a failure is recorded and the run goes on; downstream nodes are skipped.
        options.keepGoing ? Effect.catchTag("StageFailed", () => Effect.succeed(undefined)) : (e) => e
      )
    }

    const exit = yield* Effect.exit(Effect.forEach(toRun, runNode, { concurrency: "unbounded", discard: true }))
    // Nodes that never started because a failure cancelled the run.
    for (const n of graph.nodes) {
      if (!outcomes.has(n.id)) outcomes.set(n.id, { id: n.id, stage: n.stage.name, outcome: "cancelled" })
    }
    const summary: RunSummary = { plan: thePlan, nodes: graph.nodes.map((n) => outcomes.get(n.id)!), wallMs: Date.now() - t0 }
    // Stage failures are in the summary; anything else (interruption, a defect) propagates.
    if (Exit.isFailure(exit) && !Exit.hasFails(exit)) return yield* Effect.failCause(exit.cause)
    return summary
  })
