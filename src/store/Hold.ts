/**
 * Hold: the one way this engine waits for something another process holds (a node key's lock, a
 * Slurm claim). `withHold` polls `tryTake` until it yields a release, then runs `use` and always
 * releases. As in Effect's `Semaphore.withPermits`, the wait is interruptible and the hold is not
 * lost: an interrupt while waiting ends the wait at once (within one poll's sleep, never after
 * another process's node), and an interrupt during `use` still runs the release. Each single
 * attempt to take runs uninterruptibly, so an attempt that succeeds is always released, never
 * leaked by an interrupt that lands while its promise settles.
 */
import { Effect } from "effect"

export interface HoldOptions {
  /** runs once, when the first attempt finds the thing held by someone else */
  readonly onWait?: Effect.Effect<void> | undefined
  /** time between attempts (ms) */
  readonly pollMs: number
}

/**
 * Runs `use` holding what `tryTake` takes (`undefined`: held elsewhere, try again); `release` runs
 * on every exit of `use`, success, failure or interrupt.
 */
export const withHold = <H, E1, A, E, R>(
  tryTake: Effect.Effect<H | undefined, E1>,
  release: (held: H) => Effect.Effect<void>,
  options: HoldOptions,
  use: (held: H) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | E1, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      let waited = false
      for (;;) {
        const held = yield* tryTake
        if (held !== undefined) return yield* restore(use(held)).pipe(Effect.ensuring(release(held)))
        if (!waited) {
          waited = true
          if (options.onWait) yield* restore(options.onWait)
        }
        yield* restore(Effect.sleep(options.pollMs))
      }
    })
  )
