#!/usr/bin/env bash
# Benchmark: what do rate limits and the database breaker cost on the authenticated read path?
# The server is pinned to one core and wrk to the other, so they do not trade places mid-run.
# Serves the release binary on a fresh SQLite directory with both on (rate-limit budgets too
# large to refuse anything here) and with both off, alternately, and
# drives `GET /api/v1/users/me` with wrk (1 thread, 16 connections, 10 s, after a warm-up) in
# the same run. Prints requests per second and latency for both, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
release_binary wrk

run() { # label, rate limits enabled, database breaker enabled (default: as rate limits)
    measure_me "$1" NESTCMS__SERVER__RATE_LIMITS__ENABLED="$2" NESTCMS__SERVER__DATABASE_BREAKER="${3:-$2}" \
        NESTCMS__SERVER__RATE_LIMITS__API__PER_USER=100000000 NESTCMS__SERVER__RATE_LIMITS__API__PER_ADDRESS=100000000 \
        NESTCMS__SERVER__RATE_LIMITS__API__GLOBAL=100000000
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
