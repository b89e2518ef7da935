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
# shellcheck source=bench/common.sh
. bench/common.sh
release_binary valgrind

run() { # label, rate limits enabled, database breaker enabled
    count_me "$1" NESTCMS__SERVER__RATE_LIMITS__ENABLED="$2" NESTCMS__SERVER__DATABASE_BREAKER="$3" \
        NESTCMS__SERVER__RATE_LIMITS__API__PER_USER=100000000 NESTCMS__SERVER__RATE_LIMITS__API__PER_ADDRESS=100000000 \
        NESTCMS__SERVER__RATE_LIMITS__API__GLOBAL=100000000
}

echo "machine: $(nproc) cores, $(uname -m), $N requests counted per run"
for round in 1 2 3; do
    run "limits and breaker off ($round)" false false
    run "limits and breaker on ($round)" true true
done
run "database breaker only" false true
run "rate limits only" true false
