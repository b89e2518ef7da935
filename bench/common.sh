# shellcheck shell=bash
# Sourced by the benchmarks of the authenticated read path (limits-*, telemetry-cost).
#
# `measure_me LABEL [VAR=value...]` serves the release binary "$bin" (pinned to core 0) on a
# fresh SQLite directory with those settings, registers and logs in one user, warms up for
# 3 s, then drives `GET /api/v1/users/me` with wrk on core 1 (1 thread, 16 connections, 10 s)
# and prints requests per second and latency.
#
# `count_me LABEL [VAR=value...]` serves it under `valgrind --tool=callgrind` with counting off,
# signs in, sends 200 warm-up requests, then counts the instructions of $N (1,000) more on one
# keep-alive connection (every thread of the process counted) and prints them per request.
#
# `start_otlp_sink` starts an OTLP/HTTP receiver on core 1 that accepts and discards span
# batches, and sets $otlp to its URL; `sink_report` says how many batches and bytes it got.

N=${N:-1000}

# `release_binary TOOL` installs the Debian package TOOL (wrk, valgrind) when missing, builds
# the release binary (build output outside the clone, as CI keeps it) and sets $bin.
release_binary() {
    command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$1"; }
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nestcms/target}"
    cargo build --release --quiet --bin nestcms
    bin="$CARGO_TARGET_DIR/release/nestcms"
}

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

count_me() {
    local label=$1 dir port server token out total
    shift
    dir=$(mktemp -d)
    port=$((20000 + RANDOM % 20000))
    out="$dir/callgrind.out"
    env "$@" NESTCMS__LOG__LEVEL=warn NESTCMS__AUTH__HASH_PARALLELISM=1 \
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
    total=$(cat "$out".* 2>/dev/null | awk '/^totals:/ {s += $2} END {print s}')
    echo "--- $label: $((total / N)) instructions per request"
    kill "$server"; wait "$server" 2>/dev/null || true
    rm -rf "$dir"
}

start_otlp_sink() {
    local sink_port=$((40000 + RANDOM % 10000))
    sink_log=$(mktemp)
    taskset -c 1 python3 - "$sink_port" "$sink_log" <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("content-length", 0))
        self.rfile.read(n)
        with open(sys.argv[2], "a") as log:
            log.write(f"{n}\n")
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
    sink=$!
    trap 'kill $sink 2>/dev/null || true; rm -f "$sink_log"' EXIT
    otlp="http://127.0.0.1:$sink_port"
    for _ in $(seq 1 50); do curl -s -o /dev/null -X POST "$otlp/v1/traces" -d '' && break; sleep 0.1; done
}

sink_report() { # what the receiver got: proof that the spans really left the process
    echo "OTLP receiver: $(($(wc -l < "$sink_log") - 1)) batches, $(awk '{s += $1} END {print s}' "$sink_log") bytes"
}
