#!/usr/bin/env bash
# The standing read-path benchmark (issue 11): every path as a share of a bare axum handler
# measured in the same run on the same machine.
#
# For each backend (SQLite; PostgreSQL too when NESTCMS_BENCH_PG_URL or the local server
# answers), serves the release binary with its defaults (logs at info, to a file) except
# rate-limit budgets too large to refuse anything, builds a small organization through the API
# (an owner, a client, 25 offers, a published article), then drives each path with wrk
# (1 thread, 32 connections, 10 s after a 2 s warm-up). As issue 11 measured, server and wrk
# share the machine's cores; READ_PATH_PIN=1 pins the server to core 0 and wrk to core 1
# instead (a harsher setting: the bare handler triples, the shares shrink).
#   bare axum JSON · GET /health/live · GET /api/v1/articles · GET /api/v1/users/me ·
#   GET …/offers?limit=20 · GET …/analytics/dashboard
# and prints requests per second, the share of the baseline, p50, p99, and the server's peak
# resident memory (VmHWM) while serving them (and, apart, during the setup).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/common.sh
. bench/common.sh
release_binary wrk
cargo build --release --quiet -p nestcms-bench --bin bare
bare_bin="$CARGO_TARGET_DIR/release/bare"
admin="${NESTCMS_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
srv=() gen=()
if [ "${READ_PATH_PIN:-0}" = 1 ]; then
    srv=(taskset -c 0) gen=(taskset -c 1)
fi

measure() { # label, url, baseline rps ("" for the baseline itself), token ("" for none); sets $rps
    local out p50 p99 share
    "${gen[@]}" wrk -t1 -c32 -d2s ${4:+-H "Authorization: Bearer $4"} "$2" >/dev/null
    out=$("${gen[@]}" wrk -t1 -c32 -d10s --latency ${4:+-H "Authorization: Bearer $4"} "$2")
    if grep -q "Non-2xx" <<<"$out"; then
        echo "$1: errors: $(grep Non-2xx <<<"$out")" >&2
        exit 1
    fi
    rps=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    share=100
    [ -n "$3" ] && share=$((rps * 100 / $3))
    printf '| %s | %s | %s %% | %s | %s | %s |\n' "$1" "$rps" "$share" "$p50" "$p99" \
        "$(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$watched/status")"
}

# Builds the organization; prints "TOKEN ORG".
populate() { # base url
    python3 - "$1" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")
pw = "correct horse battery staple"
def user(email):
    u = call("POST", "/api/v1/auth/register", {"email": email, "password": pw, "full_name": "Bench Person"})
    return u["id"], call("POST", "/api/v1/auth/login", {"email": email, "password": pw})["access_token"]
_, owner = user("owner@bench.example")
org = call("POST", "/api/v1/orgs", {"title": "Bench Builders"}, owner)["id"]
client_id, client = user("client@bench.example")
inv = call("POST", f"/api/v1/orgs/{org}/invitations", {"email": "client@bench.example", "role": "client"}, owner)
call("POST", "/api/v1/invitations/accept", {"token": inv["accept_token"]}, client)
for i in range(25):
    call("POST", f"/api/v1/orgs/{org}/offers", {"client_id": client_id, "title": f"Villa {i}", "scope": "Two rooms",
         "price": f"{1000 + i}.00", "currency": "SAR", "valid_until": "2099-01-01"}, owner)
call("POST", f"/api/v1/orgs/{org}/articles", {"title": "Benchmarks", "body": "Read often.", "status": "published"}, owner)
print(owner, org)
PY
}

run_backend() { # label, database URL ("" for SQLite)
    local dir port server base token org baseline bare rps setup_peak watched
    dir=$(mktemp -d)
    port=$((20000 + RANDOM % 20000))
    "${srv[@]}" "$bare_bin" "127.0.0.1:$port" &
    bare=$!
    watched=$bare
    for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
    echo
    echo "### $1"
    echo
    echo "| path | requests/s | share of bare | p50 | p99 | peak memory so far |"
    echo "| --- | --- | --- | --- | --- | --- |"
    measure "bare axum JSON" "http://127.0.0.1:$port/" "" ""
    baseline=$rps
    kill "$bare"; wait "$bare" 2>/dev/null || true
    # As the README recommends for production (glibc keeps Argon2's memory otherwise).
    env ${2:+NESTCMS__DATABASE__URL=$2} MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-1048576}" \
        NESTCMS__SERVER__RATE_LIMITS__API__PER_USER=100000000 \
        NESTCMS__SERVER__RATE_LIMITS__API__PER_ADDRESS=100000000 NESTCMS__SERVER__RATE_LIMITS__API__GLOBAL=100000000 \
        NESTCMS__SERVER__RATE_LIMITS__API__PER_ORG=100000000 \
        "${srv[@]}" "$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir" 2>"$dir/server.log" &
    server=$!
    watched=$server
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.1; done
    base="http://127.0.0.1:$port"
    read -r token org < <(populate "$base")
    # The setup's registrations and logins hash passwords (Argon2id, 19 MiB each); that peak is
    # reported apart, and the high-water mark restarts for the read paths themselves.
    setup_peak=$(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$server/status")
    echo 5 >"/proc/$server/clear_refs"
    measure "GET /health/live" "$base/health/live" "$baseline" ""
    measure "GET /api/v1/articles" "$base/api/v1/articles" "$baseline" ""
    measure "GET /api/v1/users/me" "$base/api/v1/users/me" "$baseline" "$token"
    measure "GET …/offers?limit=20" "$base/api/v1/orgs/$org/offers?limit=20" "$baseline" "$token"
    measure "GET …/analytics/dashboard" "$base/api/v1/orgs/$org/analytics/dashboard" "$baseline" "$token"
    echo
    echo "peak resident memory of nestcms while serving the paths above: $(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$server/status") (during the setup's password hashing: $setup_peak)"
    kill "$server"; wait "$server" 2>/dev/null || true
    rm -rf "$dir"
}

if [ ${#srv[@]} -gt 0 ]; then where="wrk on core 1, servers on core 0"; else where="server and wrk sharing the cores"; fi
echo "machine: $(nproc) cores, $(uname -m); wrk -t1 -c32 -d10s; $where"
run_backend "SQLite" ""
if psql "$admin" -qAtc "SELECT 1" >/dev/null 2>&1; then
    db="nestcms_read_path_$$"
    psql "$admin" -qc "CREATE DATABASE $db"
    trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
    run_backend "PostgreSQL $(psql "$admin" -Atc 'SHOW server_version')" "${admin%/*}/$db"
else
    echo "PostgreSQL not reachable at NESTCMS_BENCH_PG_URL: SQLite only"
fi
