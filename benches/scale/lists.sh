#!/usr/bin/env bash
# The pick-up list, the site dashboard and the audit page of
# docs/performance.md ("Scale", issue 12 item 1) on an office filled by
# `examples/scale_seed.rs seed … --ready N --audit M`, one request at a
# time, timed with curl against the release binary, as measure.sh does
# (3 warm-up requests, then RUNS; median and p90). Read-only but for the
# audit entries of the pages viewed, so it can run again.
#
#   benches/scale/lists.sh DATA_DIR [DATABASE_URL]
#
# Users (made by the seeder): `scale` (city-wide supervisor), `scale-site`
# (a clerk at the first site, which has every other ready card) and
# `scale-audit` (auditor). Environment: CITYCARD_BIN, PORT (18482), RUNS
# (30), SCALE_PASSWORD, as in queue.sh.
set -euo pipefail
dir=${1:?usage: lists.sh DATA_DIR [DATABASE_URL]}
url=${2:-}
tgt=${CARGO_TARGET_DIR:-target}
bin=${CITYCARD_BIN:-$tgt/release/citycard}
port=${PORT:-18482}
runs=${RUNS:-30}
pass=${SCALE_PASSWORD:-scale-bench-password}
base=http://127.0.0.1:$port

log=$dir/serve-lists.log
# shellcheck source=benches/scale/common.sh
source "$(dirname "$0")/common.sh"

login() {
    curl -sf -H 'content-type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$pass\"}" "$base/api/v1/sessions" | jq -r .token
}
site=$(login scale-site)
auditor=$(login scale-audit)

# The first request after the start opens the routes (and checks the
# whole audit chain): timed once, apart.
first() {
    local name=$1; shift
    req "$@" | row "$name (first)"
}
first pickup-site -H "cookie: citycard_session=$site" "$base/pickup"
first audit-page -H "cookie: citycard_session=$auditor" "$base/audit"

ready=$(curl -sf -H "authorization: Bearer $site" "$base/api/v1/pickup?step=ready&limit=500" | jq length)
echo "# $(basename "$dir") on $([ -n "$url" ] && echo PostgreSQL || echo SQLite): $runs runs each, the site's first 500 ready: $ready, CPU: $(lscpu | sed -n "s/^Model name: *//p"), load: $(cut -d' ' -f1-3 /proc/loadavg)"
repeat pickup-site -H "cookie: citycard_session=$site" "$base/pickup"
repeat pickup-city -H "cookie: $cookie" "$base/pickup"
next=$(curl -sf -D - -o /dev/null -H "authorization: Bearer $site" "$base/api/v1/pickup?step=ready&limit=50" \
    | sed -n 's/^link: <[^>]*after=\([^&>]*\).*/\1/Ip' | tr -d '\r')
repeat pickup-step-2 -H "cookie: citycard_session=$site" "$base/pickup?step=ready&after=$next"
repeat pickup-api-100 -H "authorization: Bearer $site" "$base/api/v1/pickup?limit=100"
repeat dashboard-site -H "cookie: citycard_session=$site" "$base/"
repeat audit-page -H "cookie: citycard_session=$auditor" "$base/audit"
RUNS_WHOLE=${RUNS_WHOLE:-5}
for _ in $(seq "$RUNS_WHOLE"); do req -H "cookie: citycard_session=$auditor" "$base/audit?whole=1"; done | row audit-whole
csv=$(mktemp)
/usr/bin/time -f '%e' -o "$csv.t" curl -sf -H "cookie: citycard_session=$auditor" "$base/audit.csv" -o "$csv"
echo "audit-csv            $(wc -l <"$csv") lines, $(du -k "$csv" | cut -f1) kB in $(cat "$csv.t") s; server peak RSS $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
rm -f "$csv" "$csv.t"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
