#!/usr/bin/env bash
# Serves the binary with a metrics token on a fresh SQLite directory, runs a short story through
# the API (registration, a failed and a good login, an organization, a published article read
# twice, a payment paid through the built-in simulator, a refused callback, the health probes),
# then checks the scraped /metrics with `promtool check metrics` (Debian's `prometheus`
# package ships promtool) and that no route label holds an id.
set -euo pipefail
bin=$1
if ! command -v promtool >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
fi
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
NESTCMS__METRICS__TOKEN=ci-scrape NESTCMS__LOG__LEVEL=warn "$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "$base/health/ready" >/dev/null && break; sleep 0.2; done

json() { curl -sf -X "$1" "$base$2" -H 'content-type: application/json' ${3:+-H "Authorization: Bearer $3"} ${4:+-d "$4"}; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
json POST /api/v1/auth/register "" '{"email":"owner@ci.example","password":"correct horse battery staple","full_name":"Owner"}' >/dev/null
json POST /api/v1/auth/register "" '{"email":"client@ci.example","password":"correct horse battery staple","full_name":"Client"}' >/dev/null
curl -s -o /dev/null -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"owner@ci.example","password":"not the password"}'
owner=$(json POST /api/v1/auth/login "" '{"email":"owner@ci.example","password":"correct horse battery staple"}' | field '["access_token"]')
client=$(json POST /api/v1/auth/login "" '{"email":"client@ci.example","password":"correct horse battery staple"}' | field '["access_token"]')
org=$(json POST /api/v1/orgs "$owner" '{"title":"CI Builders"}' | field '["id"]')
client_id=$(json GET /api/v1/users/me "$client" | field '["user"]["id"]')
invite=$(json POST "/api/v1/orgs/$org/invitations" "$owner" '{"email":"client@ci.example","role":"client"}' | field '["accept_token"]')
json POST /api/v1/invitations/accept "$client" "{\"token\":\"$invite\"}" >/dev/null
json POST "/api/v1/orgs/$org/articles" "$owner" '{"title":"Scraped","body":"Twice.","status":"published"}' >/dev/null
json GET /api/v1/articles/scraped >/dev/null
json GET /api/v1/articles/scraped >/dev/null
payment=$(json POST "/api/v1/orgs/$org/payments" "$owner" "{\"client_id\":\"$client_id\",\"amount\":\"150.000\",\"currency\":\"KWD\",\"description\":\"Deposit\"}" | field '["id"]')
page=$(json POST "/api/v1/orgs/$org/payments/$payment/checkout" "$client" '{}' | field '["redirect_url"]')
curl -sf -X POST "$page/complete" -H 'content-type: application/json' -d '{"response_status":"A"}' >/dev/null
curl -s -o /dev/null -X POST "$base/api/v1/webhooks/paytabs" -H 'content-type: application/json' -H 'signature: forged' -d '{}'
for probe in /health /health/database /health/cache /health/bus; do curl -s -o /dev/null "$base$probe"; done
sleep 1

metrics=$(mktemp)
curl -sf -H "Authorization: Bearer ci-scrape" "$base/metrics" > "$metrics"
promtool check metrics < "$metrics"
if grep -E 'route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-' "$metrics"; then
    echo "a route label holds an id" >&2
    exit 1
fi
for name in nestcms_http_requests_total nestcms_payments_total nestcms_logins_total nestcms_cache_reads_total; do
    grep -q "^$name{" "$metrics" || { echo "$name missing after the story" >&2; exit 1; }
done
echo "promtool: $(grep -c '^nestcms_' "$metrics") samples, all described"
rm -f "$metrics"
