#!/usr/bin/env bash
# Instructions per issued card in the server process, counted by
# valgrind's callgrind: a figure that does not depend on what else the
# machine is doing (docs/performance.md, "Issuance").
#
#   benches/issue/instructions.sh [BINARY]
#
# Runs the issue_load bench (SQLite, 2 connections) against BINARY
# (default: the release build under ${CARGO_TARGET_DIR:-target}), whose
# `serve` runs under callgrind. After the warm-up the counters are zeroed,
# COUNTED seconds (default 10) of issuance are counted, and the total is
# printed per card, with the functions of citycard that cost most
# (inclusive, per card). KEEP=FILE keeps the callgrind output. Needs
# valgrind and gawk.
set -euo pipefail
cd "$(dirname "$0")/../.."
tgt=${CARGO_TARGET_DIR:-target}
bin=$(realpath "${1:-$tgt/release/citycard}")
counted=${COUNTED:-10}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cat >"$out/citycard" <<WRAP
#!/usr/bin/env bash
if [ "\$1" = serve ]; then
  exec valgrind --tool=callgrind --callgrind-out-file=$out/cg.%p "$bin" "\$@"
fi
exec "$bin" "\$@"
WRAP
chmod +x "$out/citycard"
cargo bench --bench issue_load --no-run --locked >/dev/null 2>&1
bench=$(ls -t "$tgt"/release/deps/issue_load-* | grep -v '\.d$' | head -1)
"$bench" --backend sqlite --connections 2 --seconds $((counted + 12)) \
    --binary "$out/citycard" >"$out/bench.log" 2>&1 &
for _ in $(seq 180); do grep -q "server pid" "$out/bench.log" && break; sleep 1; done
pid=$(grep -o "server pid [0-9]*" "$out/bench.log" | grep -o "[0-9]*$")
sleep 6
callgrind_control -z "$pid" >/dev/null 2>&1
sleep "$counted"
callgrind_control -d "$pid" >/dev/null 2>&1
wait
file=$(ls "$out"/cg.*.1 | head -1)
[ -n "${KEEP:-}" ] && cp "$file" "$KEEP"
report() { callgrind_annotate --inclusive=yes "$@" "$file" 2>/dev/null; }
# One resident is inserted per card: its calls count the cards.
cards=$(report --tree=caller | awk '
    /^$/ { s = 0; next }
    / < / { if (match($0, /\(([0-9,]+)x\)/, m)) { v = m[1]; gsub(",", "", v); s += v }; next }
    index($0, "*  ???:citycard::db::residents::insert_if_free [") { print s; exit }') || true
total=$(report | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
echo "# $(basename "$bin"): $cards cards counted; CPU: $(lscpu | sed -n 's/^Model name: *//p')"
echo "instructions per card, whole server: $((total / cards))"
report | grep -E '\?\?\?:(citycard|sqlite3_step|sqlite3LockAndPrepare|sqlite3Reprepare|rustybuzz::hb::shape::shape |ed25519)' \
    | head -30 | awk -v n="$cards" '{ v = $1; gsub(",", "", v); printf "%9d  %s\n", v / n, $0 }' \
    | sed 's/ \[[^]]*\]$//' | cut -c1-160 || true
