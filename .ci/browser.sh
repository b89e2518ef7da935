#!/usr/bin/env bash
# The web app in real headless Chromium (tests/browser): the owner/client/payment story in
# English and Arabic with axe-core and CSP checks, and the `seed --demo` logins on the sign-in
# page. Run twice: embedded (exactly the README's `nestcms serve`, on an SQLite file, in a fresh
# directory, at http://127.0.0.1:8080) and at scale (PostgreSQL, Redis, RabbitMQ). Screenshots
# go to $NESTCMS_CI_ARTIFACTS/screenshots/<mode>/<lang>/ (default: ci-artifacts/ in the clone).
# Usage: .ci/browser.sh PATH/TO/nestcms PG_ADMIN_URL REDIS_URL AMQP_URL
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$(realpath "${1:?usage: $0 PATH/TO/nestcms PG_ADMIN_URL REDIS_URL AMQP_URL}")
pg_admin=${2:?} redis=${3:?} amqp=${4:?}
artifacts=$(realpath -m "${NESTCMS_CI_ARTIFACTS:-ci-artifacts}")

# Debian's Chromium (the test drives it; it never downloads a browser), with a font that has
# Arabic glyphs.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

work=$(mktemp -d)
server=""
db=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    # The servers' logs stay with the screenshots, for a failure to be read.
    mkdir -p "$artifacts/logs"
    for f in "$work"/*/*.log; do
        [ -f "$f" ] && cp "$f" "$artifacts/logs/$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    if [ -n "$db" ]; then psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Fails unless nothing answers at this address yet.
free() {
    if curl -fsS "$1" >/dev/null 2>&1; then
        echo "something already listens on $1; stop it to run the browser tests" >&2
        exit 1
    fi
}

# mode, base URL, the gateway's origin the Pay button must reach, then the command that serves
# (run in $work/<mode>)
story() {
    local mode=$1 url=$2 gateway=$3
    shift 3
    mkdir -p "$work/$mode"
    # The demo data first; its printed logins are what the last test signs in with.
    (cd "$work/$mode" && "$bin" seed --demo) | tee "$work/$mode/seed.txt"
    # The demo owner also runs the platform: the last test opens the operations console.
    (cd "$work/$mode" && "$bin" admin grant owner@demo.nestcms.test)
    local login password
    login=$(grep -o '^  owner@[^ ]*' "$work/$mode/seed.txt" | tr -d ' ')
    password=$(grep -o 'password: .*' "$work/$mode/seed.txt" | head -n1 | cut -d' ' -f2)
    [ -n "$login" ] && [ -n "$password" ] || { echo "seed --demo printed no login" >&2; exit 1; }
    (cd "$work/$mode" && exec "$@" >"$work/$mode/server.log" 2>&1) &
    server=$!
    for _ in $(seq 1 120); do
        curl -fsS "$url/health/live" >/dev/null 2>&1 && break
        kill -0 "$server" 2>/dev/null || { cat "$work/$mode/server.log" >&2; echo "nestcms exited at start" >&2; exit 1; }
        sleep 0.5
    done
    # The README's promise: the first page is the sign-in page.
    curl -fsS "$url/" | grep -q 'action="/signin"' || { echo "$url/ is not the sign-in page" >&2; exit 1; }
    rm -rf "$artifacts/screenshots/$mode"
    (cd tests/browser && NESTCMS_URL="$url" NESTCMS_GATEWAY_ORIGIN="$gateway" NESTCMS_SCREENSHOTS="$artifacts/screenshots/$mode" \
        NESTCMS_DEMO_LOGIN="$login" NESTCMS_DEMO_PASSWORD="$password" npm test)
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=""
    echo "screenshots ($mode): $artifacts/screenshots/$mode"
}

# Embedded: no configuration at all, as a newcomer runs it.
free http://127.0.0.1:8080/
story embedded http://127.0.0.1:8080 http://127.0.0.1:8080 "$bin" serve

# At scale: the same binary on PostgreSQL, Redis and RabbitMQ, and PayTabs (the simulator run
# on its own) on another origin, as the real gateway is: the Pay button's redirect must leave
# the site.
db="nestcms_browser_$$"
psql "$pg_admin" -qc "CREATE DATABASE $db" >/dev/null
sim_key="SBROWSER$$$(date +%s)"
free http://127.0.0.1:18092/
free http://127.0.0.1:18091/
mkdir -p "$work/scale"
NESTCMS_SIM_SERVER_KEY="$sim_key" "$bin" paytabs-sim --listen 127.0.0.1:18092 --profile-id 4242 \
    --public-url http://localhost:18092 >"$work/scale/sim.log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 60); do
    # Any HTTP answer (even 404) means it is listening.
    curl -s -o /dev/null "http://127.0.0.1:18092/" && break
    kill -0 "$sim" 2>/dev/null || { cat "$work/scale/sim.log" >&2; echo "the simulator exited at start" >&2; exit 1; }
    sleep 0.5
done
export NESTCMS__DATABASE__URL="${pg_admin%/*}/$db" NESTCMS__CACHE__URL="$redis" NESTCMS__BUS__URL="$amqp"
export NESTCMS__PAYTABS__SERVER_KEY="$sim_key" NESTCMS__PAYTABS__PROFILE_ID=4242 \
    NESTCMS__PAYTABS__BASE_URL=http://localhost:18092
story scale http://127.0.0.1:18091 http://localhost:18092 "$bin" serve --listen 127.0.0.1:18091
