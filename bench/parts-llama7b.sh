#!/usr/bin/env bash
# parts-llama7b: Llama-2-7B in bf16 (13.5 GB, three 5GB shards) written as one checkpoint folder by two parts,
# `init --part 0/2` and `--part 1/2`, each process pinned to one core (taskset -c 0, -c 1), against one process on
# both cores (taskset -c 0,1), on the same disk, one after the other. Each timing ends with `sync`, so it counts
# the disk, not the page cache. Both folders are checked with `verify` (sampled) and deleted. Prints one JSON
# document (and writes it to RESULTS_DIR when given). Needs about 13.5 GB free under DIR and a quiet machine: the
# load average before and after is reported, since other work on the two cores changes both timings.
#
#   npm run build && bash bench/parts-llama7b.sh [DIR] [RESULTS_DIR]
#   (LAYERS=2 bash bench/parts-llama7b.sh: a 2-layer Llama-2-7B, to try the script in a minute)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(mktemp -d "${1:-/tmp}/wwi-parts-llama7b-XXXXXX")
RESULTS=${2:-}
CLI=(node bin/webgpu-weight-init.js)
ARGS=(init --preset llama --dtype bf16 --seed 1 --quiet)
trap 'rm -rf "$ROOT"' EXIT
if [ -n "${LAYERS:-}" ]; then
  echo "{\"num_hidden_layers\": $LAYERS}" > "$ROOT/layers.json"
  ARGS+=(--config "$ROOT/layers.json")
fi
now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

load_before=$(load)
sync
# One process on both cores.
t0=$(now)
taskset -c 0,1 "${CLI[@]}" "${ARGS[@]}" --out "$ROOT/one/" > "$ROOT/one.json"
sync
t1=$(now)
"${CLI[@]}" verify "$ROOT/one/" --quiet > "$ROOT/one-verify.json" || { cat "$ROOT/one-verify.json" >&2; exit 1; }
rm -rf "$ROOT/one"
sync

# Two processes, one core each, one part each.
t2=$(now)
/usr/bin/time -f %e -o "$ROOT/p0.time" taskset -c 0 "${CLI[@]}" "${ARGS[@]}" --out "$ROOT/two/" --part 0/2 > "$ROOT/p0.json" &
p0=$!
/usr/bin/time -f %e -o "$ROOT/p1.time" taskset -c 1 "${CLI[@]}" "${ARGS[@]}" --out "$ROOT/two/" --part 1/2 > "$ROOT/p1.json" &
p1=$!
wait "$p0"
wait "$p1"
sync
t3=$(now)
"${CLI[@]}" verify "$ROOT/two/" --parts 2 --quiet > "$ROOT/two-verify.json" || { cat "$ROOT/two-verify.json" >&2; exit 1; }
load_after=$(load)

report=$(jq -n \
  --arg one "$(elapsed "$t0" "$t1")" --arg two "$(elapsed "$t2" "$t3")" \
  --arg p0 "$(cat "$ROOT/p0.time")" --arg p1 "$(cat "$ROOT/p1.time")" \
  --arg loadBefore "$load_before" --arg loadAfter "$load_after" --arg node "$(node --version)" --arg layers "${LAYERS:-}" \
  --slurpfile oneOut "$ROOT/one.json" --slurpfile p0Out "$ROOT/p0.json" --slurpfile p1Out "$ROOT/p1.json" \
  --slurpfile oneVerify "$ROOT/one-verify.json" --slurpfile twoVerify "$ROOT/two-verify.json" \
  '{
    bench: "parts-llama7b",
    date: (now | todate),
    node: $node,
    model: ("llama (Llama-2-7B) bf16" + (if $layers == "" then "" else ", \($layers) layers" end)),
    bytes: $oneOut[0].out.bytes,
    oneProcessTwoCores: { seconds: ($one | tonumber), files: $oneOut[0].out.files },
    twoPartsOneCoreEach: {
      seconds: ($two | tonumber),
      parts: [
        { part: "0/2", seconds: ($p0 | tonumber), files: $p0Out[0].out.files, bytes: $p0Out[0].out.bytes },
        { part: "1/2", seconds: ($p1 | tonumber), files: $p1Out[0].out.files, bytes: $p1Out[0].out.bytes }
      ]
    },
    ratio: (($two | tonumber) / ($one | tonumber)),
    verified: { one: $oneVerify[0].status, two: $twoVerify[0].status },
    loadAverage: { before: $loadBefore, after: $loadAfter }
  }')
echo "$report"
if [ -n "$RESULTS" ]; then
  echo "$report" > "$RESULTS/$(date -u +%Y-%m-%dT%H-%M-%SZ)-parts-llama7b.json"
fi
