#!/usr/bin/env bash
# The scale table of docs/performance.md ("Scale"): request latencies of one
# office filled by `examples/scale_seed.rs`, one request at a time (no load),
# measured with curl against the release binary.
#
#   benches/scale/measure.sh DATA_DIR [DATABASE_URL]
#
# DATA_DIR: an office seeded with `scale_seed seed` (it holds the keys, the
# SQLite file unless DATABASE_URL names PostgreSQL, and scale-sample.txt).
# Environment: CITYCARD_BIN and SCALE_SEED_BIN (default: the release builds
# under ${CARGO_TARGET_DIR:-target}), PORT (18480), RUNS (30 per row),
# SCALE_PASSWORD (as when seeding). It revokes RUNS sample cards and issues
# RUNS cards: seed again for a second run (or set REVOKE_FROM to other
# sample lines).
set -euo pipefail
dir=${1:?usage: measure.sh DATA_DIR [DATABASE_URL]}
url=${2:-}
tgt=${CARGO_TARGET_DIR:-target}
bin=${CITYCARD_BIN:-$tgt/release/citycard}
seed=${SCALE_SEED_BIN:-$tgt/release/examples/scale_seed}
port=${PORT:-18480}
runs=${RUNS:-30}
pass=${SCALE_PASSWORD:-scale-bench-password}
revoke_from=${REVOKE_FROM:-200}
base=http://127.0.0.1:$port
samples=$dir/scale-sample.txt
[ -s "$samples" ] || { echo "no $samples: seed the office first" >&2; exit 1; }

log=$dir/serve.log
# shellcheck source=benches/scale/common.sh
source "$(dirname "$0")/common.sh"
json='content-type: application/json'

echo "# $(basename "$dir") on $([ -n "$url" ] && echo PostgreSQL || echo SQLite): $runs runs each, CPU: $(lscpu | sed -n "s/^Model name: *//p")"
repeat dashboard -H "cookie: $cookie" "$base/"
repeat queue-page -H "cookie: $cookie" "$base/print-queue"
repeat queue-api -H "$auth" "$base/api/v1/print-queue"
repeat deletion-due -H "$auth" "$base/api/v1/deletion-schedule"

head -n "$runs" "$samples" | while read -r number _ _; do
    req -H "$auth" "$base/api/v1/cards/$number"
done | row card-lookup

head -n "$runs" "$samples" | while read -r _ family born; do
    req -H "$auth" -H "$json" -d "{\"family_name\":\"$family\",\"date_of_birth\":\"$born\"}" \
        "$base/api/v1/residents/search"
done | row search

tail -n +"$revoke_from" "$samples" | head -n "$runs" | while read -r number _ _; do
    req -H "$auth" -H "$json" -d '{"reason":"lost"}' "$base/api/v1/cards/$number/revoke"
done | row revoke

for i in $(seq "$runs"); do
    req -H "$auth" -H "$json" -d "{\"given_names\":\"Probe\",\"family_name\":\"Skala$i$RANDOM\",\"date_of_birth\":\"1990-01-0$(( i % 9 + 1 ))\",\"attestation\":{\"identity_checked\":true,\"residence_checked\":true},\"confirm_duplicate\":true}" \
        "$base/api/v1/cards"
done | row issue

kill "$server"; wait "$server" 2>/dev/null || true
trap - EXIT
# Signing and storing the whole revocation list, in process.
env "${db_env[@]}" "$seed" publish --data-dir "$dir" ${url:+--database-url "$url"} --runs 5 |
    awk '{ print $(NF - 1) / 1000 }' | row list-publish
