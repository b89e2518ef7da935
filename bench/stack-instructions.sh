#!/usr/bin/env bash
# Benchmark: CPU instructions per request of the middleware stack alone, against a bare axum
# handler (issue 11). Throughput on this shared 2-core machine moves by more than the stack
# costs from one run to the next; instruction counts under callgrind do not. Serves the bare
# handler, then `nestcms serve` (release, defaults: logs at info to a file, a fresh SQLite
# directory) under `valgrind --tool=callgrind` with counting off, sends 300 warm-up requests,
# counts 1,000 `GET` on one keep-alive connection (every thread of the process counted) and
# prints the instructions per request: the bare handler's `/`, then `/health/live`.
# CALLGRIND_KEEP=DIR keeps the profiles there for `callgrind_annotate`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
release_binary valgrind
cargo build --release --quiet -p nestcms-bench --bin bare
keep=${CALLGRIND_KEEP:-}

count() { # label, path, command...
    local label=$1 path=$2 dir port pid out total
    shift 2
    dir=$(mktemp -d)
    port=$((20000 + RANDOM % 20000))
    out="$dir/callgrind.out"
    # shellcheck disable=SC2001
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
        "${@//PORT/$port}" >"$dir/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port$path" >/dev/null && break; sleep 0.2; done
    get "$port" "$path" 300
    callgrind_control -i on "$pid" >/dev/null 2>&1
    get "$port" "$path" "$N"
    callgrind_control -d "$pid" >/dev/null 2>&1
    callgrind_control -i off "$pid" >/dev/null 2>&1
    total=$(cat "$out".* 2>/dev/null | awk '/^totals:/ {s += $2} END {print s + 0}')
    echo "| $label | $((total / N)) |"
    [ -n "$keep" ] && mkdir -p "$keep" && cp "$out".* "$keep/" 2>/dev/null && mv "$keep/callgrind.out.1" "$keep/$label.out" 2>/dev/null
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}

get() { # port, path, count
    python3 - "$@" <<'PY'
import http.client, sys
port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(n):
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY
}

# As the README recommends on glibc; the same for both servers.
export MALLOC_MMAP_THRESHOLD_=1048576
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
echo "| server | instructions per request |"
echo "| --- | --- |"
count bare / "$CARGO_TARGET_DIR/release/bare" 127.0.0.1:PORT
count health-live /health/live "$bin" serve --listen 127.0.0.1:PORT --data-dir "$data"
