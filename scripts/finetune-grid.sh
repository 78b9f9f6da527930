#!/usr/bin/env bash
# The fine-tuning grids of docs/experiment.md ("Fine-tuning settings"), on seed 0's validation split.
#   scripts/finetune-grid.sh CACHE supervisors   each (learning rate, schedule) for the supervisors and
#                                                the ceilings: one row per node, its best validation accuracy
#   scripts/finetune-grid.sh CACHE students SETS each student setting with the supervisors' setting SETS
#                                                (a --set argument): one row per student (val-score --summary)
# Rows go to stdout as tab-separated values; the runs' output to stderr. Every model is scored on the
# test split here (scoreOn "test"): the grid must not read the confirmatory set, and its keys are those
# the grid was run with.
set -euo pipefail
cache=$1; mode=${2:-}
node scripts/build.mjs >&2
P="node bin/pipeline.cjs --cache-dir $cache"
T='scoreOn="test"'
schedules=('' ',"warmup":0.1,"decay":"cosine"')
names=(constant warmup-cosine)
if [ "$mode" = supervisors ]; then
  for lr in 0.0003 0.001 0.003; do
    for k in 0 1; do
      W="weak.training={\"epochs\":3,\"lr\":$lr,\"batch\":64${schedules[$k]}}"
      C="ceiling.training={\"epochs\":4,\"lr\":$lr,\"batch\":64${schedules[$k]}}"
      $P run w2s-chess 'train-weak/*/s0' 'ceiling/*/s0' --set "$T" --set "$W" --set "$C" >&2
      for node in train-weak/s0/s0 train-weak/s1/s0 train-weak/s2/s0 ceiling/s2/s0 ceiling/s3/s0; do
        $P export w2s-chess "$node" --output report --format json --set "$T" --set "$W" --set "$C" |
          node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);const at=r.epochs.find(e=>e.epoch===r.chosenEpoch);console.log([...process.argv.slice(1),(100*at.val).toFixed(1),r.chosenEpoch].join("\t"))})' "$lr" "${names[$k]}" "$node"
      done
    done
  done
elif [ "$mode" = students ]; then
  sup=${3:?students needs the supervisor setting as a --set value, e.g. weak.training=...}
  for lr in 0.00005 0.00015 0.0005; do
    for head in false true; do
      for k in 0 1; do
        S="strong={\"training\":{\"epochs\":4,\"lr\":$lr,\"batch\":64,\"firstEpochCheckpoints\":8${schedules[$k]}},\"headOnly\":$head,\"aMax\":0.5}"
        $P run w2s-chess 'train-strong/*/naive/s0' --set "$T" --set "$sup" --set "$S" >&2
        node dist/val-score.js --cache-dir "$cache" --summary --set "$T" --set "$sup" --set "$S" \
          train-strong/s0-s2/naive/s0 train-strong/s1-s2/naive/s0 train-strong/s0-s3/naive/s0 train-strong/s1-s3/naive/s0 train-strong/s2-s3/naive/s0 |
          sed "s/^/$lr\t$head\t${names[$k]}\t/"
      done
    done
  done
else
  echo "usage: scripts/finetune-grid.sh CACHE supervisors | students SUPERVISOR_SET" >&2; exit 2
fi
