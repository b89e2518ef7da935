#!/usr/bin/env bash
# Benchmark: checkouts and IPNs per second on PostgreSQL, with the PayTabs simulator on the same
# machine; plus pgbench running an equivalent transaction (receipt insert, conditional state
# update, three event inserts) on the same server in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nestcms/target}"
admin="${NESTCMS_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
db="nestcms_paybench_$$"
url="${admin%/*}/$db"
key="SBENCHKEY1-0123456789-ABCDEFGHIJ"
cargo build --release --quiet --bin nestcms --bin payments_load
bin="$CARGO_TARGET_DIR/release/nestcms"
dir=$(mktemp -d)
psql "$admin" -qc "CREATE DATABASE $db"
cleanup() { kill "${server:-0}" "${sim:-0}" 2>/dev/null || true; wait 2>/dev/null || true; psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; rm -rf "$dir"; }
trap cleanup EXIT
sim_port=$((20000 + RANDOM % 10000)); port=$((30000 + RANDOM % 10000))
NESTCMS__LOG__LEVEL=warn "$bin" paytabs-sim --listen "127.0.0.1:$sim_port" --profile-id 48214 --server-key "$key" --drop-ipns &
sim=$!
NESTCMS__SERVER__RATE_LIMITS__ENABLED=false NESTCMS__DATABASE__URL="$url" NESTCMS__LOG__LEVEL=warn NESTCMS__PAYTABS__SERVER_KEY="$key" NESTCMS__PAYTABS__PROFILE_ID=48214 \
  NESTCMS__PAYTABS__BASE_URL="http://127.0.0.1:$sim_port" "$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir" &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores; PostgreSQL $(psql "$url" -Atc 'SHOW server_version')"
"$CARGO_TARGET_DIR/release/payments_load" --url "http://127.0.0.1:$port" --sim "http://127.0.0.1:$sim_port" --key "$key"
psql "$url" -q <<'SQL'
CREATE TABLE bench_payments (id INTEGER PRIMARY KEY, state TEXT NOT NULL);
INSERT INTO bench_payments SELECT g, 'pending' FROM generate_series(1, 100000) g;
CREATE TABLE bench_receipts (k TEXT PRIMARY KEY);
CREATE TABLE bench_events (id BIGSERIAL PRIMARY KEY, payment INTEGER, kind TEXT, detail JSONB, at TIMESTAMPTZ);
SQL
cat > "$dir/ipn.sql" <<'SQL'
\set p random(1, 100000)
\set r random(1, 2000000000)
BEGIN;
INSERT INTO bench_receipts VALUES (:r || '-' || :client_id) ON CONFLICT DO NOTHING;
INSERT INTO bench_events (payment, kind, detail, at) VALUES (:p, 'ipn_received', '{"status":"A"}', now());
UPDATE bench_payments SET state = CASE WHEN state = 'pending' THEN 'paid' ELSE 'pending' END WHERE id = :p;
INSERT INTO bench_events (payment, kind, detail, at) VALUES (:p, 'verified', '{"status":"A"}', now());
INSERT INTO bench_events (payment, kind, detail, at) VALUES (:p, 'state_changed', '{"to":"paid"}', now());
END;
SQL
echo "pgbench, the IPN's database work alone (8 clients, 10 s):"
pgbench -n -c 8 -j 2 -T 10 -f "$dir/ipn.sql" "$url" 2>/dev/null | grep -E "^(tps|latency average)"
