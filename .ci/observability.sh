#!/usr/bin/env bash
# Operations as code (deploy/observability): the alert rules pass `promtool check rules` and
# their unit tests (`promtool test rules`), the Grafana dashboard is valid JSON, and every
# metric the rules and the dashboard query is one the code records (a renamed metric would
# otherwise leave a silent alert and an empty panel).
set -euo pipefail
if ! command -v promtool >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }
fi
cd deploy/observability
promtool check rules prometheus/alerts.yml
(cd prometheus && promtool test rules alerts_test.yml)
python3 - <<'PY'
import json, pathlib, re, sys
root = pathlib.Path("../..")
recorded = set()
for f in root.glob("crates/*/src/**/*.rs"):
    # The catalogue names every metric for its help text; only the places that record count.
    if f.name != "catalogue.rs":
        recorded |= set(re.findall(r'"(nestcms_[a-z0-9_]+)"', f.read_text()))
dashboard = pathlib.Path("grafana/nestcms.json").read_text()
json.loads(dashboard)
used = set()
for text in (dashboard, pathlib.Path("prometheus/alerts.yml").read_text()):
    used |= {re.sub(r"_(bucket|sum|count)$", "", m) for m in re.findall(r"nestcms_[a-z0-9_]+", text)}
missing = sorted(used - recorded)
if missing:
    sys.exit(f"queried but never recorded: {missing}")
print(f"{len(used)} metrics queried, all recorded by the code")
PY
