#!/usr/bin/env bash
# Benchmark: what do rate limits and the database breaker cost on the authenticated read path?
# The server is pinned to one core and wrk to the other, so they do not trade places mid-run.
# Serves the release binary on a fresh SQLite directory with both on (rate-limit budgets too
# large to refuse anything here) and with both off, alternately, and
# drives `GET /api/v1/users/me` with wrk (1 thread, 16 connections, 10 s, after a warm-up) in
# the same run. Prints requests per second and latency for both, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nestcms/target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin nestcms
bin="$CARGO_TARGET_DIR/release/nestcms"

run() { # label, rate limits enabled, database breaker enabled (default: as rate limits)
    local dir port server token
    dir=$(mktemp -d)
    port=$((20000 + RANDOM % 20000))
    NESTCMS__SERVER__RATE_LIMITS__ENABLED="$2" NESTCMS__SERVER__DATABASE_BREAKER="${3:-$2}" NESTCMS__SERVER__RATE_LIMITS__API__PER_USER=100000000 \
        NESTCMS__SERVER__RATE_LIMITS__API__PER_ADDRESS=100000000 NESTCMS__SERVER__RATE_LIMITS__API__GLOBAL=100000000 \
        NESTCMS__LOG__LEVEL=warn taskset -c 0 "$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir" &
    server=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
    local creds='{"email":"bench@nest.example","password":"correct horse battery staple"}'
    curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/register" -H 'content-type: application/json' \
        -d '{"email":"bench@nest.example","password":"correct horse battery staple","full_name":"Bench"}' >/dev/null
    token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' -d "$creds" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    taskset -c 1 wrk -t1 -c16 -d3s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/users/me" >/dev/null
    echo "--- $1"
    taskset -c 1 wrk -t1 -c16 -d10s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/users/me" \
        | grep -E "Requests/sec|50%|99%|Non-2xx" || true
    kill "$server"; wait "$server" 2>/dev/null || true
    rm -rf "$dir"
}

echo "machine: $(nproc) cores, $(uname -m)"
# The first server of a run is slower whatever its settings (cold caches): run one unreported.
run "warm-up, not reported" true >/dev/null
run "limits and breaker off" false
run "limits and breaker on" true
run "limits and breaker off (2)" false
run "limits and breaker on (2)" true
run "limits and breaker off (3)" false
run "limits and breaker on (3)" true
