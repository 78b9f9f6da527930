/**
 * Pretraining replicates: a pretrained ladder member is pretrained R times, each run with its own
 * initialisation and its own sample of the corpus, and each seed uses one of them, seed s the run
 * s mod R (so adding seeds never moves an existing seed to another run). Run 0 is the one made
 * before replicates existed (the data seed), so its key is kept. With R = 1 all seeds share one run
 * and no interval can cover another; `stats.ts` treats the replicate as the unit when runs serve
 * several seeds.
 */

/** The pretraining run that seed `seed` uses, of `replicates` runs. */
export const replicateOf = (seed: number, replicates: number): number => ((seed % replicates) + replicates) % replicates

/** The seed a pretraining run initialises and samples with: the data seed for run 0, distinct for the others. */
export const pretrainSeed = (dataSeed: number, replicate: number): number => (replicate === 0 ? dataSeed : dataSeed + 7919 * replicate)
