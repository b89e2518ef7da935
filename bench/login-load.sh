#!/usr/bin/env bash
# Benchmark: do 100 concurrent Argon2id logins stall other requests?
# Builds the release binary, serves it on loopback with a fresh data directory (SQLite, or
# PostgreSQL when NESTCMS__DATABASE__URL is set), runs the load generator, and stops the server.
# Usage: bench/login-load.sh [extra NESTCMS__ env assignments, e.g. NESTCMS__AUTH__HASH_PARALLELISM=8]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nestcms/target}"
cargo build --release --quiet --bin nestcms --bin login_load
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
env NESTCMS__SERVER__RATE_LIMITS__ENABLED=false "$@" NESTCMS__LOG__LEVEL=warn "$CARGO_TARGET_DIR/release/nestcms" serve --listen "127.0.0.1:$port" --data-dir "$dir" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(uname -m); settings: ${*:-defaults}"
"$CARGO_TARGET_DIR/release/login_load" --url "http://127.0.0.1:$port"
