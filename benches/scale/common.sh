# Shared by measure.sh and queue.sh (sourced, not run): starts `citycard
# serve` on the office, waits for /healthz, logs in as `scale`, and defines
# the timing helpers. Expects: dir, url, bin, port, runs, pass, base, and
# log (the server's log file).

db_env=()
[ -n "$url" ] && db_env=(CITYCARD_DATABASE_URL="$url")
env "${db_env[@]}" "$bin" serve --data-dir "$dir" --bind "127.0.0.1:$port" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    curl -sf "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.2
done

token=$(curl -sf -H 'content-type: application/json' \
    -d "{\"username\":\"scale\",\"password\":\"$pass\"}" "$base/api/v1/sessions" | jq -r .token)
cookie="citycard_session=$token"
auth="authorization: Bearer $token"

# One request: prints its time in seconds; fails on a status other than 2xx.
req() {
    local out
    out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$@")
    case $out in
        2*) echo "${out#* }" ;;
        *) echo "HTTP ${out% *} for $*" >&2; exit 1 ;;
    esac
}

# Median and 90th percentile (ms) of the times on stdin.
row() {
    sort -n | awk -v name="$1" '{ a[NR] = $1 } END {
        m = a[int((NR + 1) / 2)]; p = a[int(NR * 0.9 + 0.999)]
        printf "%-20s n=%-3d median %8.1f ms   p90 %8.1f ms\n", name, NR, m * 1000, p * 1000 }'
}

# Three warm-up requests, then `runs` timed ones.
repeat() {
    local name=$1; shift
    for _ in 1 2 3; do req "$@" >/dev/null; done
    for _ in $(seq "$runs"); do req "$@"; done | row "$name"
}
