/**
 * Claims: which Slurm job computes a key now, as a scoped resource beside the key locks. `claim`
 * runs under the key's claim lock (`withHold`: the wait interruptible) and either finds a job to
 * follow (another driver's, still going, whose tag Slurm confirms), or the key committed meanwhile,
 * or submits a job and writes the claim, as one step an interrupt cannot cut. A job this driver
 * submitted is released when the scope closes: cancelled unless it committed the key, then its
 * claim removed under the claim lock, and only while the claim still names this submission (never
 * another driver's newer claim).
 *
 * Guarantees: a claim is followed only while Slurm reports its job going with the claim's tag, so a
 * reused job id never makes a driver follow an unrelated job (the claim is stale and replaced); a
 * stale claim is removed when read; every submission has its own job file (named in its claim, so
 * `sweepFiles` keeps it); a sbatch that fails after the controller accepted the job is answered by
 * finding the job by its tag and adopting it, so no running job is left unclaimed; a forced
 * submission says so in its claim, and another forcing driver follows it instead of submitting (or,
 * if it is over, takes its record when it was computed after that driver asked for the force).
 */
import { Effect, Scope } from "effect"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import { hostname } from "node:os"
import { dirname } from "node:path"
import type { StoreError } from "../Errors.ts"
import type { Committed } from "../Record.ts"
import { type NodeJob, toWire } from "../Runner.ts"
import type { Resources } from "../Stage.ts"
import { io, tryLock, unlock, writeAtomic } from "../store/Disk.ts"
import { withHold } from "../store/Hold.ts"
import type { RecordsShape } from "../store/Records.ts"
import { type SlurmCallFailed, SlurmClient } from "./Client.ts"
import { type Claim, encodeJobFile, isGoing, readClaim, sbatchArgs, slurmLayout, type SubmitOptions } from "./Jobs.ts"

/** What `claim` found: a job to follow (submitted here or by another driver), or the key committed. */
export type Claimed =
  | { readonly _tag: "Follow"; readonly jobId: string; readonly tag: string; readonly mine: boolean }
  | { readonly _tag: "Committed"; readonly record: Committed }

export interface ClaimsOptions extends SubmitOptions {
  readonly cacheDir: string
}

/**
 * Whether a claim names a job Slurm reports going under the claim's tag. A going job with no comment
 * at all counts as live: some sites drop or rewrite comments, and there every claim would otherwise
 * read as stale (nodes submitted twice, job files swept under pending jobs); only another tag, or a
 * job that is over, makes a claim stale.
 */
const live = (claim: Claim, state: { readonly state: string; readonly comment?: string | undefined } | undefined) =>
  state !== undefined && isGoing(state.state) && (state.comment === undefined || state.comment === claim.tag)

/** The claims of one cache, over a Slurm client and the store's records. */
export const makeClaims = (options: ClaimsOptions, records: RecordsShape) =>
  Effect.gen(function*() {
    const client = yield* SlurmClient
    const paths = slurmLayout(options.cacheDir)
    const me = { host: hostname(), pid: process.pid }

    /** Runs `f` under the claim lock of `key` (held only while a driver reads, submits or unclaims). */
    const underLock = <A, E, R>(key: string, f: Effect.Effect<A, E, R>) =>
      withHold(tryLock(paths.claimsDir, paths.claim(key)), unlock, { pollMs: 100 }, () => f)

    /** Removes the claim of `key` if it still names the submission `tag`. */
    const unclaim = (key: string, tag: string) =>
      underLock(key, Effect.sync(() => {
        if (readClaim(paths.claim(key))?.tag === tag) fs.rmSync(paths.claim(key), { force: true })
      })).pipe(Effect.timeout(10_000), Effect.ignore)

    /**
     * Submits `job` and claims it; adopts the job by its tag when sbatch fails after acceptance. Runs
     * uninterruptibly except for sbatch itself (`restore`), which a slow controller can hold for up
     * to a minute: an interrupt there kills sbatch and cancels any job the controller accepted under
     * the submission's tag (looked for for at most two seconds), so Ctrl-C is answered at once.
     */
    const submitAndClaim = (job: NodeJob, force: boolean, resources: Resources | undefined, restore: <A, E, R>(e: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) =>
      Effect.gen(function*() {
        const nonce = randomBytes(8).toString("hex")
        const tag = `w2s:${nonce}`
        const jobFile = paths.jobFile(job.key, nonce)
        yield* writeAtomic(paths.jobsDir, jobFile, encodeJobFile(toWire(job), force))
        yield* io(paths.logsDir, () => fs.promises.mkdir(paths.logsDir, { recursive: true }))
        const flags = sbatchArgs(resources, { name: `w2s:${job.node}`, output: paths.logPattern(job.key), workdir: process.cwd(), tag }, options)
        const jobId = yield* restore(client.submit({ flags, cacheDir: options.cacheDir, jobFile, tag })).pipe(
          Effect.onInterrupt(() =>
            client.find(tag).pipe(
              Effect.flatMap((ids) => client.cancel(ids)),
              Effect.timeout(2000),
              Effect.ignore
            )
          ),
          // sbatch may fail after the controller accepted the job (killed, or its answer lost): the job
          // is found by its tag and adopted, never left running unclaimed.
          Effect.catch((e: SlurmCallFailed) =>
            Effect.flatMap(client.find(tag).pipe(Effect.catch(() => Effect.succeed([] as ReadonlyArray<string>))), (ids) =>
              ids.length > 0 ? Effect.andThen(client.cancel(ids.slice(1)), Effect.succeed(ids[0]!)) : Effect.fail(e)))
        )
        const claim: Claim = { jobId, tag, jobFile, ...me, submittedAt: new Date().toISOString(), forced: force }
        yield* writeAtomic(dirname(paths.claim(job.key)), paths.claim(job.key), JSON.stringify(claim) + "\n").pipe(
          Effect.onError(() => client.cancel([jobId]))
        )
        return { jobId, tag }
      })

    /**
     * Claims `job`'s key in the current scope: the job to follow, or the record committed meanwhile.
     * A job submitted here is cancelled (unless it committed the key) and unclaimed when the scope
     * closes, however it closes.
     */
    const claim = (
      job: NodeJob,
      force: boolean,
      resources: Resources | undefined,
      /** when the force was asked for (ms): a record whose computation started since satisfies it */
      forcedSince = Date.now()
    ): Effect.Effect<Claimed, SlurmCallFailed | StoreError, Scope.Scope> =>
      underLock(
        job.key,
        Effect.gen(function*() {
          const prior = readClaim(paths.claim(job.key))
          let stale = false
          if (prior && (!force || prior.forced)) {
            const st = yield* client.status([prior.jobId]).pipe(Effect.catch(() => Effect.succeed(undefined)))
            // A claim whose state is unknown (Slurm not answering) is followed, not doubled.
            if (st === undefined || live(prior, st.get(prior.jobId))) return { _tag: "Follow", jobId: prior.jobId, tag: prior.tag, mine: false } satisfies Claimed
            stale = true
          }
          // Another run may have committed the key while this one waited for the claim.
          const now = force ? records.read(job.key) : records.lookup(job.key)
          // Forced, a record computed since the force was asked for (another forcing driver's job that
          // ended before this driver read its claim) is as new as a job submitted now would make.
          if (now._tag === "Present" && (!force || Date.parse(String((now.record as { startedAt?: string }).startedAt)) >= forcedSince)) {
            // The claim left over from the job that committed it is stale: swept here.
            if (stale) fs.rmSync(paths.claim(job.key), { force: true })
            return { _tag: "Committed", record: now.record } satisfies Claimed
          }
          // Submitting and claiming are one step that Ctrl-C cannot cut (but for sbatch itself, see
          // submitAndClaim); the release goes with them.
          return yield* Effect.uninterruptibleMask((restore) => Effect.gen(function*() {
            const { jobId, tag } = yield* submitAndClaim(job, force, resources, restore)
            yield* Effect.addFinalizer(() =>
              Effect.andThen(
                committedBy(job.key, jobId) ? Effect.void : client.cancel([jobId]),
                unclaim(job.key, tag)
              )
            )
            return { _tag: "Follow", jobId, tag, mine: true } satisfies Claimed
          }))
        })
      )

    /** Whether `key` is committed by job `jobId`. */
    const committedBy = (key: string, jobId: string): boolean => {
      const r = records.read(key)
      return r._tag === "Present" && r.record.host.job === jobId
    }

    return { claim, committedBy }
  })

/**
 * Removes the claims of a cache whose jobs Slurm no longer reports going under their tag; returns
 * how many. Each is checked again and removed under its claim lock (a driver may be replacing it);
 * claims of jobs still going, and files that are not claims, stay. Asks Slurm nothing when there is
 * no claim. `gc` calls this where Slurm's commands are installed; a claim is also swept when a
 * driver reads it.
 */
export const sweepClaims = (cacheDir: string) =>
  Effect.gen(function*() {
    const client = yield* SlurmClient
    const paths = slurmLayout(cacheDir)
    const names = fs.existsSync(paths.claimsDir) ? fs.readdirSync(paths.claimsDir).filter((n) => !n.endsWith(".lock")) : []
    const claims = names.flatMap((key) => {
      const c = readClaim(paths.claim(key))
      return c ? [{ key, c }] : []
    })
    if (claims.length === 0) return 0
    const st = yield* client.status(claims.map(({ c }) => c.jobId))
    let n = 0
    for (const { key, c } of claims) {
      if (live(c, st.get(c.jobId))) continue
      yield* withHold(tryLock(paths.claimsDir, paths.claim(key)), unlock, { pollMs: 100 }, () =>
        Effect.sync(() => {
          // Still the claim judged stale (a driver may have replaced it meanwhile).
          if (readClaim(paths.claim(key))?.tag !== c.tag) return
          fs.rmSync(paths.claim(key), { force: true })
          n++
        }))
    }
    return n
  })
