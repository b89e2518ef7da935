#!/usr/bin/env bash
# Benchmark: what do metrics and tracing cost on the authenticated read path?
# Serves the release binary (pinned to core 0) on a fresh SQLite directory and drives
# `GET /api/v1/users/me` with wrk (core 1; 1 thread, 16 connections, 10 s after a warm-up),
# alternating three set-ups in the same run:
#   - off:        no metrics token (no recorder: the metric calls do nothing) and no OTLP
#                 endpoint (spans get ids for the logs, nothing is recorded or exported);
#   - metrics:    a metrics token (every request is counted and timed), no exporter;
#   - everything: metrics, and every span exported (sampling 1.0) over OTLP/HTTP to a small
#                 receiver on core 1 that accepts and discards the batches.
# Prints requests per second and latency for each.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nestcms/target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --quiet --bin nestcms
bin="$CARGO_TARGET_DIR/release/nestcms"

sink_port=$((40000 + RANDOM % 10000))
taskset -c 1 python3 - "$sink_port" <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT

# shellcheck source=bench/read-path.sh
. bench/read-path.sh

run() { # label, metrics token ("" for none), OTLP endpoint ("" for none)
    measure_me "$1" ${2:+NESTCMS__METRICS__TOKEN=$2} ${3:+NESTCMS__TELEMETRY__OTLP_ENDPOINT=$3} \
        NESTCMS__SERVER__RATE_LIMITS__API__PER_USER=100000000 NESTCMS__SERVER__RATE_LIMITS__API__PER_ADDRESS=100000000 \
        NESTCMS__SERVER__RATE_LIMITS__API__GLOBAL=100000000
}

echo "machine: $(nproc) cores, $(uname -m)"
otlp="http://127.0.0.1:$sink_port"
run "warm-up, not reported" "" "" >/dev/null
for round in 1 2; do
    run "off ($round)" "" ""
    run "metrics ($round)" bench-token ""
    run "metrics and every span exported ($round)" bench-token "$otlp"
done
