#!/usr/bin/env bash
# Times ismsbook, mdBook and Hugo on the same generated corpus and prints the ratios.
#
#   bench/run.sh [N ...]          default: 1000 10000
#
# Needs: python3, ../shared/bench/gen_corpus.py, and on PATH mdbook (cargo install mdbook
# --version '^0.5' --locked) and hugo (apt-get install hugo); a missing peer is skipped.
# Reports wall time, peak memory (max RSS, /usr/bin/time) and output size for each tool.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
gen="$here/../shared/bench/gen_corpus.py"
work=${BENCH_DIR:-/tmp/ismsbook-bench}
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin="$here/target/release/ismsbook"
export SOURCE_DATE_EPOCH=1795824000

measure() { # name outdir cmd... -> "name seconds peak_mb size_mb"
  local name=$1 out=$2; shift 2
  rm -rf "$out"
  local t0 t1 log=$work/time.log
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$log" "$@" >/dev/null 2>&1 || { echo "$name FAILED"; return 1; }
  t1=$(date +%s.%N)
  local kb; kb=$(tail -1 "$log")
  local size; size=$(du -sm "$out" | cut -f1)
  printf "%s %.2f %d %d\n" "$name" "$(echo "$t1 - $t0" | bc)" $((kb / 1024)) "$size"
}

for n in "${sizes[@]}"; do
  dir=$work/corpus-$n
  [ -d "$dir" ] || python3 "$gen" "$n" "$dir" >/dev/null
  echo "== $n documents (2 cores) =="
  printf "%-10s %10s %12s %10s\n" tool "wall (s)" "peak (MB)" "out (MB)"
  results=()
  results+=("$(measure ismsbook "$dir/ismsbook/book" "$bin" build "$dir/ismsbook")")
  if command -v hugo >/dev/null; then
    results+=("$(measure hugo "$dir/hugo/public" hugo --quiet -s "$dir/hugo")")
  fi
  if command -v mdbook >/dev/null && [ "${SKIP_MDBOOK:-}" != "$n" ]; then
    results+=("$(measure mdbook "$dir/mdbook/book" mdbook build "$dir/mdbook")")
  fi
  for r in "${results[@]}"; do printf "%-10s %10s %12s %10s\n" $r; done
  ours=$(echo "${results[0]}" | awk '{print $2}')
  for r in "${results[@]:1}"; do
    set -- $r
    [ "$2" = "FAILED" ] && continue
    printf "ratio %s/ismsbook: %.1fx faster\n" "$1" "$(echo "$2 / $ours" | bc -l)"
  done
done
