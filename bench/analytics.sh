#!/usr/bin/env bash
# Benchmark: analytics latency on PostgreSQL with 100,000 projects and 1,000,000 earnings.
# Creates a throwaway database on the local server, seeds it with `nestcms seed --scale 100`,
# serves it on loopback, measures the analytics endpoints, prints the query plans, drops it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nestcms/target}"
admin="${NESTCMS_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
scale="${SCALE:-100}"
db="nestcms_bench_$$"
url="${admin%/*}/$db"
cargo build --release --quiet --bin nestcms --bin analytics_load
bin="$CARGO_TARGET_DIR/release/nestcms"
dir=$(mktemp -d)
psql "$admin" -qc "CREATE DATABASE $db"
cleanup() { kill "${server:-0}" 2>/dev/null || true; wait "${server:-0}" 2>/dev/null || true; psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$dir"; }
trap cleanup EXIT
export NESTCMS__DATABASE__URL="$url" NESTCMS__LOG__LEVEL=warn NESTCMS__SERVER__RATE_LIMITS__ENABLED=false
"$bin" seed --scale "$scale" --data-dir "$dir"
psql "$url" -qc "VACUUM ANALYZE"
port=$((20000 + RANDOM % 20000))
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir" &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores; PostgreSQL $(psql "$url" -Atc 'SHOW server_version'); $(psql "$url" -Atc 'SELECT count(*) FROM projects') projects, $(psql "$url" -Atc 'SELECT count(*) FROM earnings') earnings"
"$CARGO_TARGET_DIR/release/analytics_load" --url "http://127.0.0.1:$port"
org=$(psql "$url" -Atc "SELECT org_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'owner0@scale.nestcms.test'")
echo "--- plan: monthly trend"
psql "$url" -Atc "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT substr(CAST(period_start AS TEXT), 1, 7) AS month, CAST(SUM(CASE WHEN kind = 'profit' THEN amount_minor ELSE -amount_minor END) AS BIGINT) FROM earnings WHERE org_id = '$org' AND currency = 'SAR' GROUP BY 1 ORDER BY 1"
echo "--- plan: top projects"
psql "$url" -Atc "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT t.project_id, p.title, t.net FROM (SELECT project_id, CAST(SUM(CASE WHEN kind = 'profit' THEN amount_minor ELSE -amount_minor END) AS BIGINT) AS net FROM earnings WHERE org_id = '$org' AND currency = 'SAR' AND project_id IS NOT NULL GROUP BY project_id ORDER BY net DESC, project_id LIMIT 10) t JOIN projects p ON p.id = t.project_id ORDER BY t.net DESC, t.project_id"
