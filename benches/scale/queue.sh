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

db_env=()
[ -n "$url" ] && db_env=(CITYCARD_DATABASE_URL="$url")
env "${db_env[@]}" "$bin" serve --data-dir "$dir" --bind "127.0.0.1:$port" >"$dir/serve-queue.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    curl -sf "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$dir/serve-queue.log" >&2; exit 1; }
    sleep 0.2
done

token=$(curl -sf -H 'content-type: application/json' \
    -d "{\"username\":\"scale\",\"password\":\"$pass\"}" "$base/api/v1/sessions" | jq -r .token)
cookie="citycard_session=$token"
auth="authorization: Bearer $token"

req() {
    local out
    out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$@")
    case $out in
        2*) echo "${out#* }" ;;
        *) echo "HTTP ${out% *} for $*" >&2; exit 1 ;;
    esac
}

row() {
    sort -n | awk -v name="$1" '{ a[NR] = $1 } END {
        m = a[int((NR + 1) / 2)]; p = a[int(NR * 0.9 + 0.999)]
        printf "%-20s n=%-3d median %8.1f ms   p90 %8.1f ms\n", name, NR, m * 1000, p * 1000 }'
}

repeat() {
    local name=$1; shift
    for _ in 1 2 3; do req "$@" >/dev/null; done
    for _ in $(seq "$runs"); do req "$@"; done | row "$name"
}

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
