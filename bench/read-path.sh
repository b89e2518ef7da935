# shellcheck shell=bash
# Sourced by the benchmarks of the authenticated read path. `measure_me LABEL [VAR=value...]`
# serves the release binary "$bin" (pinned to core 0) on a fresh SQLite directory with those
# settings, registers and logs in one user, warms up for 3 s, then drives
# `GET /api/v1/users/me` with wrk on core 1 (1 thread, 16 connections, 10 s) and prints
# requests per second and latency.

measure_me() {
    local label=$1 dir port server token
    shift
    dir=$(mktemp -d)
    port=$((20000 + RANDOM % 20000))
    env "$@" NESTCMS__LOG__LEVEL=warn taskset -c 0 "$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir" &
    server=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
    local creds='{"email":"bench@nest.example","password":"correct horse battery staple"}'
    curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/register" -H 'content-type: application/json' \
        -d '{"email":"bench@nest.example","password":"correct horse battery staple","full_name":"Bench"}' >/dev/null
    token=$(curl -sf -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' -d "$creds" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    taskset -c 1 wrk -t1 -c16 -d3s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/users/me" >/dev/null
    echo "--- $label"
    taskset -c 1 wrk -t1 -c16 -d10s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/users/me" \
        | grep -E "Requests/sec|50%|99%|Non-2xx" || true
    kill "$server"; wait "$server" 2>/dev/null || true
    rm -rf "$dir"
}
