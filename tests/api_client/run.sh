#!/usr/bin/env bash
# Runs tests/api_client/sites_client.py (Python standard library only: a
# client that does not share our code) against a real `citycard serve` on
# 127.0.0.1, on a fresh data directory with development keys and users made
# by `citycard admin`; then checks that the server's log names no site.
#
#   bash tests/api_client/run.sh [BINARY] [PORT]
#   # defaults: $CARGO_TARGET_DIR/debug/citycard (or target/…), 8097
set -euo pipefail
BIN=${1:-${CARGO_TARGET_DIR:-target}/debug/citycard}
PORT=${2:-8097}
HERE=$(cd "$(dirname "$0")" && pwd)
PW='api-client-password-2026'
TMP=$(mktemp -d)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
export CITYCARD_DATA_DIR=$TMP/data
mkdir -p "$CITYCARD_DATA_DIR"
for u in boss:admin pclerk:clerk nclerk:clerk mclerk:clerk; do
  echo "$PW" | "$BIN" admin create-user --username "${u%%:*}" --role "${u##*:}" --password-stdin >/dev/null 2>&1
done
"$BIN" serve --data-dir "$CITYCARD_DATA_DIR" --bind "127.0.0.1:$PORT" >"$TMP/serve.log" 2>&1 &
PID=$!
for _ in $(seq 300); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  if ! kill -0 "$PID" 2>/dev/null; then cat "$TMP/serve.log" >&2; exit 1; fi
  sleep 0.2
done
if ! python3 "$HERE/sites_client.py" --url "http://127.0.0.1:$PORT" --password "$PW"; then
  echo "--- server log" >&2
  cat "$TMP/serve.log" >&2
  exit 1
fi
# A site's name is sealed: the server's log must not hold one.
if grep -q -e 'Zuflucht' -e 'Nord' -e 'Haddad' "$TMP/serve.log"; then
  echo "not ok - the server log names a site or a resident:" >&2
  grep -e 'Zuflucht' -e 'Nord' -e 'Haddad' "$TMP/serve.log" >&2
  exit 1
fi
echo "ok - the server log names no site and no resident"
