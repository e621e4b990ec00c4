#!/usr/bin/env bash
# Live-reload latency of `ismsbook serve`: from a file write to the reload message on the
# WebSocket, for the sample and generated corpora (medians of 11 edits each).
#
#   bench/serve.sh [N ...]        default: 1000 10000 (plus the sample, always)
#
# Needs python3 and ../shared/bench/gen_corpus.py. Traffic stays on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
gen="$here/../shared/bench/gen_corpus.py"
work=${BENCH_DIR:-/tmp/ismsbook-serve-bench}
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
mkdir -p "$work"
cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bin ismsbook --example serve_latency
bin="$here/target/release/ismsbook"
probe="$here/target/release/examples/serve_latency"
export SOURCE_DATE_EPOCH=1795824000 ISMSBOOK_LOG=timings   # stage times in $work/serve-*.log

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run() { # name dir file
  local name=$1 dir=$2 file=$3 port log pid
  port=$(free_port); log=$work/serve-$name.log; : >"$log"
  "$bin" serve "$dir" -p "$port" >"$log" 2>&1 & pid=$!
  for _ in $(seq 600); do grep -q '^serving ' "$log" && break; sleep 0.1; done
  grep -q '^serving ' "$log" || { echo "$name: serve did not start"; cat "$log"; kill "$pid"; return 1; }
  echo "== $name =="
  "$probe" "$port" "$file" 11 | tail -1
  grep "^timings" "$log" | tail -1
  kill -INT "$pid"; wait "$pid" || true
}

rm -rf "$work/sample" && mkdir -p "$work/sample"
cp -r "$here/book.toml" "$here/sample-isms" "$work/sample/"
run sample "$work/sample" "$work/sample/sample-isms/policies/access-control.md"
for n in "${sizes[@]}"; do
  dir=$work/c$n
  [ -d "$dir" ] || python3 "$gen" "$n" "$dir" >/dev/null
  run "$n-documents" "$dir/ismsbook" "$dir/ismsbook/docs/doc-00042.md"
done
