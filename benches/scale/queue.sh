#!/usr/bin/env bash
# The print queue's rows of docs/performance.md ("Scale"): the queue page
# and its API on an office filled by `examples/scale_seed.rs`, one request
# at a time, timed with curl against the release binary, as measure.sh
# does (3 warm-up requests, then RUNS; median and p90). Read-only but for
# the audit entries of the pages viewed, so it can run again.
#
#   benches/scale/queue.sh DATA_DIR [DATABASE_URL]
#
# Environment: CITYCARD_BIN (default: the release build under
# ${CARGO_TARGET_DIR:-target}), PORT (18481), RUNS (30), SCALE_PASSWORD (as
# when seeding). `PAGED=0` skips the requests a binary from before paging
# does not know (`?after=`, `?limit=`).
set -euo pipefail
dir=${1:?usage: queue.sh DATA_DIR [DATABASE_URL]}
url=${2:-}
tgt=${CARGO_TARGET_DIR:-target}
bin=${CITYCARD_BIN:-$tgt/release/citycard}
port=${PORT:-18481}
runs=${RUNS:-30}
pass=${SCALE_PASSWORD:-scale-bench-password}
paged=${PAGED:-1}
base=http://127.0.0.1:$port

log=$dir/serve-queue.log
# shellcheck source=benches/scale/common.sh
source "$(dirname "$0")/common.sh"

rows=$(curl -sf -H "cookie: $cookie" "$base/print-queue" | grep -c '<tr><td><a href="/cards/' || true)
echo "# $(basename "$dir") on $([ -n "$url" ] && echo PostgreSQL || echo SQLite): $runs runs each, $rows rows on the first page, CPU: $(lscpu | sed -n "s/^Model name: *//p"), load: $(cut -d' ' -f1-3 /proc/loadavg)"
repeat queue-page -H "cookie: $cookie" "$base/print-queue"
repeat queue-api -H "$auth" "$base/api/v1/print-queue"
if [ "$paged" = 1 ]; then
    # The second page: after the first page's last card.
    last=$(curl -sf -H "$auth" "$base/api/v1/print-queue?limit=50" | jq -r '.[-1].card.card_number')
    repeat queue-page-2 -H "cookie: $cookie" "$base/print-queue?after=$last"
    repeat queue-api-500 -H "$auth" "$base/api/v1/print-queue?limit=500"
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
