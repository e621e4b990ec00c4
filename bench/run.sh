#!/usr/bin/env bash
# Times ismsbook against Hugo (and mdBook when installed) on the same generated corpus, in
# alternating pairs (ismsbook, Hugo, ismsbook, Hugo, ...), and prints the medians and the median
# of the per-pair ratios for a clean build (into a folder that never existed, with nothing
# deleted in the minute before) and a rebuild (previous output present, sources unchanged), peak memory, one per-stage timing of ismsbook, and the search
# index figures (size, what a one-word query loads, what indexing adds to a build).
#
#   bench/run.sh [N ...]          default: 1000 10000
#   PAIRS=5 bench/run.sh 10000    pairs per figure (default 3)
#   SKIP_MDBOOK=10000 bench/run.sh 1000 10000   no mdBook run at that size (12 minutes at 10,000)
#
# Needs: python3, ../shared/bench/gen_corpus.py, /usr/bin/time, and on PATH hugo (apt-get
# install hugo) and optionally mdbook (cargo install mdbook --version '^0.5' --locked); a
# missing peer is skipped. On a shared machine quote medians, never one run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
gen="$here/../shared/bench/gen_corpus.py"
work=${BENCH_DIR:-/tmp/ismsbook-bench}
pairs=${PAIRS:-3}
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
bin="$here/target/release/ismsbook"
export SOURCE_DATE_EPOCH=1795824000
mkdir -p "$work"

# run OUT_VAR cmd... : wall seconds and peak MB of one run, "secs mb"
run() {
  local log=$work/time.log t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$log" "$@" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc) $(( $(tail -1 "$log") / 1024 ))"
}

median() { python3 -c 'import sys,statistics; print("%.2f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

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
#
# Every build writes into a folder of its own that never existed, and none is deleted until all
# are timed, after one pause of a minute for the deletions before: ext4 without a journal skips
# the inodes freed in the last minute one by one when it allocates new ones, so a build right
# after a deletion pays for it by where its folders land, not by what it does (the same
# 1,000-document build took 0.3 s into one folder name and 1.4-1.6 s into another, with or
# without indexing).
indexing_cost() { # handbook-dir pairs
  local book=$1 pairs=$2 with=() without=() t0 t1 p
  sleep 61
  for p in $(seq "$pairs"); do
    t0=$(date +%s.%N); "$bin" build "$book" -d "$work/indexing-$p-with" >/dev/null 2>&1; t1=$(date +%s.%N)
    with+=("$(echo "$t1 - $t0" | bc)")
    t0=$(date +%s.%N); ISMSBOOK_NO_SEARCH=1 "$bin" build "$book" -d "$work/indexing-$p-without" >/dev/null 2>&1; t1=$(date +%s.%N)
    without+=("$(echo "$t1 - $t0" | bc)")
  done
  rm -rf "$work"/indexing-* "$work"/.indexing-*
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
indexing_cost "$here" "$pairs"

for n in "${sizes[@]}"; do
  dir=$work/corpus-$n
  [ -d "$dir" ] || python3 "$gen" "$n" "$dir" >/dev/null
  ours_clean=(); ours_re=(); hugo_clean=(); hugo_re=(); r_clean=(); r_re=(); ours_mb=0; hugo_mb=0
  # Clean builds write into folders that never existed (one per pair and tool) and nothing is
  # deleted while the pairs are timed, after a pause of a minute for the deletions before (see
  # indexing_cost: right after a deletion, ext4 charges a build for where its folders land).
  sleep 61
  for ((p = 1; p <= pairs; p++)); do
    ours=$work/clean-$n-$p-ismsbook theirs=$work/clean-$n-$p-hugo
    read -r a am < <(run "$bin" build "$dir/ismsbook" -d "$ours")
    if command -v hugo >/dev/null; then read -r b bm < <(run hugo --quiet -s "$dir/hugo" -d "$theirs"); else b=0 bm=0; fi
    # Rebuilds: the previous output is there, the sources unchanged.
    read -r c cm < <(run "$bin" build "$dir/ismsbook" -d "$ours")
    if command -v hugo >/dev/null; then read -r d dm < <(run hugo --quiet -s "$dir/hugo" -d "$theirs"); else d=0 dm=0; fi
    ours_clean+=("$a"); hugo_clean+=("$b"); ours_re+=("$c"); hugo_re+=("$d")
    r_clean+=("$(echo "$a / ($b + 0.0001)" | bc -l)"); r_re+=("$(echo "$c / ($d + 0.0001)" | bc -l)")
    ours_mb=$(( am > cm ? (am > ours_mb ? am : ours_mb) : (cm > ours_mb ? cm : ours_mb) ))
    hugo_mb=$(( bm > dm ? (bm > hugo_mb ? bm : hugo_mb) : (dm > hugo_mb ? dm : hugo_mb) ))
  done
  site=$work/clean-$n-$pairs-ismsbook timed=$work/timed-$n-$$
  echo "== $n documents: $(nproc) cores, medians of $pairs alternating pairs =="
  printf "%-10s %14s %14s %10s\n" tool "clean (s)" "rebuild (s)" "peak (MB)"
  printf "%-10s %14s %14s %10s\n" ismsbook "$(median "${ours_clean[@]}")" "$(median "${ours_re[@]}")" "$ours_mb"
  if command -v hugo >/dev/null; then
    printf "%-10s %14s %14s %10s\n" hugo "$(median "${hugo_clean[@]}")" "$(median "${hugo_re[@]}")" "$hugo_mb"
    echo "ratio ismsbook/hugo: clean $(median "${r_clean[@]}"), rebuild $(median "${r_re[@]}") (median of per-pair ratios)"
  fi
  "$bin" build "$dir/ismsbook" -d "$site" --timings 2>&1 | grep '^timings:' | sed 's/^/ismsbook rebuild /'
  "$bin" build "$dir/ismsbook" -d "$timed" --timings 2>&1 | grep '^timings:' | sed 's/^/ismsbook clean /'
  echo "output: $(du -sm "$site" | cut -f1) MB ismsbook"
  search_figures "$site" access
  if command -v mdbook >/dev/null && [ "${SKIP_MDBOOK:-}" != "$n" ]; then
    read -r m mm < <(run mdbook build "$dir/mdbook" -d "$work/mdbook-$n-$$")
    echo "mdbook clean (one run): $m s, $mm MB"
  fi
  rm -rf "$work"/clean-"$n"-* "$work"/.clean-"$n"-* "$timed" "$work/.timed-$n-$$".* "$work/mdbook-$n-$$"
  indexing_cost "$dir/ismsbook" "$pairs"
done
