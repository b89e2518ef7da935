#!/usr/bin/env bash
# Benchmark: CPU instructions per authenticated read, with rate limits and the database breaker
# on and off. Throughput on this shared 2-core machine moves by ±10 % between identical runs
# (see bench/limits-cost.sh), more than the cost being measured; instruction counts under
# callgrind do not depend on what else the machine is doing. Serves the release binary under
# `valgrind --tool=callgrind` with instrumentation off, signs in, sends 200 warm-up requests,
# turns counting on, sends 1,000 `GET /api/v1/users/me` on one keep-alive connection, dumps the
# counts and divides.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nestcms/target}"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
cargo build --release --quiet --bin nestcms
bin="$CARGO_TARGET_DIR/release/nestcms"
N=1000

requests() { # port, token, count
    python3 - "$1" "$2" "$3" <<'PY'
import http.client, sys
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(n):
    c.request("GET", "/api/v1/users/me", headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
PY
}

run() { # label, rate limits enabled, database breaker enabled
    local dir port server token out
    dir=$(mktemp -d)
    port=$((20000 + RANDOM % 20000))
    out="$dir/callgrind.out"
    NESTCMS__SERVER__RATE_LIMITS__ENABLED="$2" NESTCMS__SERVER__DATABASE_BREAKER="$3" \
        NESTCMS__SERVER__RATE_LIMITS__API__PER_USER=100000000 NESTCMS__SERVER__RATE_LIMITS__API__PER_ADDRESS=100000000 \
        NESTCMS__SERVER__RATE_LIMITS__API__GLOBAL=100000000 NESTCMS__LOG__LEVEL=warn NESTCMS__AUTH__HASH_PARALLELISM=1 \
        valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
        "$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir" 2>"$dir/valgrind.log" &
    server=$!
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
    curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/register" -H 'content-type: application/json' \
        -d '{"email":"bench@nest.example","password":"correct horse battery staple","full_name":"Bench"}' >/dev/null
    token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
        -d '{"email":"bench@nest.example","password":"correct horse battery staple"}' \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    requests "$port" "$token" 200
    callgrind_control -i on "$server" >/dev/null 2>&1
    requests "$port" "$token" "$N"
    callgrind_control -d "$server" >/dev/null 2>&1
    callgrind_control -i off "$server" >/dev/null 2>&1
    local total
    total=$(cat "$out".* 2>/dev/null | awk '/^totals:/ {s += $2} END {print s}')
    echo "--- $1: $((total / N)) instructions per request"
    kill "$server"; wait "$server" 2>/dev/null || true
    rm -rf "$dir"
}

echo "machine: $(nproc) cores, $(uname -m), $N requests counted per run"
for round in 1 2 3; do
    run "limits and breaker off ($round)" false false
    run "limits and breaker on ($round)" true true
done
run "database breaker only" false true
run "rate limits only" true false
