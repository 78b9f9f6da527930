#!/usr/bin/env bash
# Writes the dial experiment's tables and figure (docs/experiment.md, "The dial experiment") from a
# cache that holds its run: per setting the naive students' summary, rows and checkpoints, and the
# ladder's knowledge; figure-dial as SVG and PNG. Reads only; computes nothing (exit 1 if a node is
# not computed). Run it from the checkout whose code made the cache's records.
# Usage: scripts/dial-export.sh CACHE_DIR RESULTS_DIR FIGURES_DIR
set -euo pipefail
cache=$1 results=$2 figures=$3
mkdir -p "$results" "$figures"
P=(node bin/pipeline.cjs --cache-dir "$cache")
S=(--set 'dial=[0.25,0.5]' --set 'methods=["naive"]')
for best in 0 0.25 0.5; do
  at=""; [ "$best" = 0 ] || at="dial/$best/"
  for output in summary rows checkpoints; do
    "${P[@]}" export w2s-chess "${at}results" --output "$output" --format csv "${S[@]}" > "$results/$output-$best.csv"
  done
  "${P[@]}" export w2s-chess "${at}ladder-knowledge" --format csv "${S[@]}" > "$results/ladder-knowledge-$best.csv"
done
"${P[@]}" results w2s-chess "${S[@]}" > "$results/results-0.txt"
for format in svg png; do
  "${P[@]}" export w2s-chess figure-dial --format "$format" --out "$figures/figure-dial.$format" "${S[@]}"
done
