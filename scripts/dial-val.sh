#!/usr/bin/env bash
# The latent-knowledge dial on seed 0's validation split (docs/experiment.md, "The dial"): for each
# share of engine-best pretraining targets, every member's zero-shot and probe accuracy and every
# supervisor's accuracy, all on validation (ground truth: a design choice made on validation).
# Usage: scripts/dial-val.sh CACHE_DIR SHARE... (e.g. scripts/dial-val.sh cache 0 0.25 0.5)
set -euo pipefail
cache=$1; shift
P="node bin/pipeline.cjs --cache-dir $cache"
for best in "$@"; do
  S="--set pretraining.best=$best"
  $P run w2s-chess pretrain/s1/r0 pretrain/s2/r0 pretrain/s3/r0 'probe/*/s0' 'train-weak/*/s0' $S >&2
  for node in probe/s0/s0 probe/s1/s0 probe/s2/s0 probe/s3/s0 train-weak/s0/s0 train-weak/s1/s0 train-weak/s2/s0; do
    $P export w2s-chess "$node" --output report --format json $S |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);const at=r.epochs.find(e=>e.epoch===r.chosenEpoch);console.log([process.argv[1],process.argv[2],(100*r.epochs[0].val).toFixed(1),(100*at.val).toFixed(1),r.chosenEpoch].join("\t"))})' "$best" "$node"
  done
done
