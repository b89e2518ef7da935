#!/usr/bin/env bash
# Benchmark: what do metrics and tracing cost on the authenticated read path
# (`GET /api/v1/users/me`)? Three set-ups, alternated in the same run:
#   - off:        no metrics token (no recorder: the metric calls do nothing) and no OTLP
#                 endpoint (only each request's span gets an identity, nothing is recorded);
#   - metrics:    a metrics token (every request and statement counted and timed);
#   - everything: metrics, and every span exported (sampling 1.0) over OTLP/HTTP to a
#                 receiver on core 1 that discards the batches (it reports what it got).
# `bench/telemetry-cost.sh` times them with wrk; `bench/telemetry-cost.sh instructions` counts
# instructions per request under callgrind, which this shared 2-core machine does not disturb
# (see bench/common.sh for both).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-time}
# shellcheck source=bench/common.sh
. bench/common.sh
if [ "$mode" = instructions ]; then release_binary valgrind; else release_binary wrk; fi
start_otlp_sink

run() { # label, metrics token ("" for none), OTLP endpoint ("" for none)
    local how=measure_me
    [ "$mode" = instructions ] && how=count_me
    "$how" "$1" ${2:+NESTCMS__METRICS__TOKEN=$2} ${3:+NESTCMS__TELEMETRY__OTLP_ENDPOINT=$3} \
        NESTCMS__SERVER__RATE_LIMITS__API__PER_USER=100000000 NESTCMS__SERVER__RATE_LIMITS__API__PER_ADDRESS=100000000 \
        NESTCMS__SERVER__RATE_LIMITS__API__GLOBAL=100000000
}

echo "machine: $(nproc) cores, $(uname -m)"
[ "$mode" = instructions ] || run "warm-up, not reported" "" "" >/dev/null
for round in 1 2; do
    run "off ($round)" "" ""
    run "metrics ($round)" bench-token ""
    run "metrics and every span exported ($round)" bench-token "$otlp"
done
sink_report
