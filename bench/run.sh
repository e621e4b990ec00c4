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

# Search figures for a built site: the size of search/, and what a one-word query loads
# (every file under search/ that the page has loaded once the results are shown, measured in
# headless Chromium from file://).
search_figures() { # site word
  local site=$1 word=$2 browser
  browser=$(command -v chromium || command -v chromium-browser || true)
  local total; total=$(du -sb "$site/search" | cut -f1)
  printf "search/: %.1f MB in %d files\n" "$(echo "$total / 1000000" | bc -l)" "$(find "$site/search" -type f | wc -l)"
  [ -n "$browser" ] || { echo "one-word query: chromium not found, not measured"; return 0; }
  local loaded
  loaded=$("$browser" --headless --no-sandbox --disable-gpu --virtual-time-budget=20000 \
      --dump-dom "file://$site/index.html?q=$word" 2>/dev/null \
    | grep -o 'src="[^"]*search/[^"]*"' | sed 's/^src="//; s/"$//' \
    | sed "s|^file://||; s|^search/|$site/search/|" | sort -u | xargs -r stat -c %s | awk '{s+=$1} END {print s+0}')
  printf "one-word query (%s): loads %.0f kB of search files\n" "$word" "$(echo "$loaded / 1000" | bc -l)"
}

# What indexing adds to the build's wall time: medians of alternating pairs, with and without
# (ISMSBOOK_NO_SEARCH=1 turns indexing off, for this measurement only).
indexing_cost() { # handbook-dir pairs
  local book=$1 pairs=$2 with=() without=() t0 t1
  for _ in $(seq "$pairs"); do
    t0=$(date +%s.%N); "$bin" build "$book" -d "$work/with" >/dev/null 2>&1; t1=$(date +%s.%N)
    with+=("$(echo "$t1 - $t0" | bc)")
    t0=$(date +%s.%N); ISMSBOOK_NO_SEARCH=1 "$bin" build "$book" -d "$work/without" >/dev/null 2>&1; t1=$(date +%s.%N)
    without+=("$(echo "$t1 - $t0" | bc)")
  done
  local a b
  a=$(printf "%s\n" "${with[@]}" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
  b=$(printf "%s\n" "${without[@]}" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
  printf "indexing: %.2f s with, %.2f s without (medians of %d alternating pairs): +%.0f%%\n" \
    "$a" "$b" "$pairs" "$(echo "($a - $b) * 100 / $b" | bc -l)"
}

echo "== the sample handbook =="
rm -rf "$work/sample" && mkdir -p "$work"
"$bin" build "$here" -d "$work/sample" >/dev/null 2>&1
search_figures "$work/sample" password
indexing_cost "$here" "${PAIRS:-5}"

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
  search_figures "$dir/ismsbook/book" access
  indexing_cost "$dir/ismsbook" "${PAIRS:-5}"
done
