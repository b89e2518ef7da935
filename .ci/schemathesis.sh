#!/usr/bin/env bash
# Property-based API test: fuzzes a running nestcms with schemathesis against the OpenAPI document it
# serves, so the document and the service cannot drift apart. Fails when any response is a 5xx, has a
# status the operation does not document, or does not match the documented schema.
# Usage: .ci/schemathesis.sh PATH/TO/nestcms [extra `st run` options, e.g. --report junit]
set -euo pipefail

bin=$(realpath "${1:?usage: $0 PATH/TO/nestcms [st run options]}")
shift
venv="${XDG_CACHE_HOME:-$HOME/.cache}/nestcms/venv-schemathesis"
if [ ! -x "$venv/bin/st" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4.32,<5'
fi

work=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the kernel picks a free port, which the startup log line reports. The log level stays at
# warn except for that line; the long token TTL outlives the run; the throttle would refuse fuzzed sign-ups.
# Rate limits off: the fuzzer exercises the API, not the limiter (429 is documented and tested).
RUST_LOG=warn,nestcms::startup=info NESTCMS__AUTH__REGISTRATIONS_PER_HOUR=100000 NESTCMS__AUTH__ACCESS_TOKEN_TTL=2h \
    NESTCMS__SERVER__RATE_LIMITS__ENABLED=false \
    "$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" --log-format json 2>"$work/server.log" &
server=$!
addr=""
for _ in $(seq 1 120); do
    addr=$(grep -o '"listen":"127\.0\.0\.1:[0-9]*"' "$work/server.log" | head -n1 | cut -d'"' -f4 || true)
    [ -n "$addr" ] && curl -fsS "http://$addr/health/live" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; echo "nestcms exited at start" >&2; exit 1; }
    sleep 0.5
done
curl -fsS "http://$addr/health/live" >/dev/null || { cat "$work/server.log" >&2; exit 1; }
base="http://$addr/api/v1"
echo "nestcms listening on $addr"

post() { # path, json, [token] -> response body; fails on an HTTP error
    curl -fsS -X POST "$base$1" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$2"
}
field() { "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
creds='{"email":"fuzz@example.com","password":"correct horse battery staple"}'
post /auth/register '{"email":"fuzz@example.com","password":"correct horse battery staple","full_name":"Fuzz"}' >/dev/null
token=$(post /auth/login "$creds" | field access_token)
# A second session for POST /auth/logout, so that logging out does not end the session the rest uses.
logout_token=$(post /auth/login "$creds" | field access_token)
org_id=$(post /orgs '{"title":"Schemathesis Ltd"}' "$token" | field id)

# No crash cache: it would replay earlier runs' failures first and leave .schemathesis/ in the clone.
cat >"$work/schemathesis.toml" <<EOF
[cache]
enabled = false

[parameters]
"path.org_id" = "$org_id"

[[operations]]
include-operation-id = "logout"
headers = { Authorization = "Bearer $logout_token" }
EOF

status=0
HYPOTHESIS_STORAGE_DIRECTORY="$work/hypothesis" timeout 600 "$venv/bin/st" --config-file "$work/schemathesis.toml" run "http://$addr/api/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --max-examples 25 --seed 20261130 --workers 1 --generation-database none --continue-on-failure \
    --request-timeout 30 --no-color "$@" || status=$?

if grep -q '"level":"ERROR"' "$work/server.log"; then
    echo "--- nestcms errors during the run:" >&2
    grep '"level":"ERROR"' "$work/server.log" | tail -n 30 >&2
fi
[ "$status" -ne 124 ] || echo "schemathesis did not finish within 10 minutes" >&2
exit "$status"
