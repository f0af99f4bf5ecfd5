#!/usr/bin/env bash
# Runs tests/attack/login_attack.py against the given binary on 127.0.0.1
# (SECURITY.md, findings 1-3): each step on a fresh office (its own data
# directory, users made by `citycard admin`), so that one step's locks do
# not spoil the next; prints the server's memory before and its peak
# (VmHWM) after each step.
#
#   bash tests/attack/run.sh [BINARY] [PORT] [STEPS]
#   # defaults: $CARGO_TARGET_DIR/debug/citycard (or target/…), 8099,
#   #           guesses,logins,flood,spray
#
# Extra settings go in as CITYCARD_* variables (they reach the server).
set -euo pipefail
BIN=${1:-${CARGO_TARGET_DIR:-target}/debug/citycard}
PORT=${2:-8099}
STEPS=${3:-guesses,logins,flood,spray}
HERE=$(cd "$(dirname "$0")" && pwd)
PW='attack-test-password-2026'
PID=
TMP=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ -n "$TMP" ]; then rm -rf "$TMP"; fi
  PID= TMP=
}
trap cleanup EXIT
for step in ${STEPS//,/ }; do
  TMP=$(mktemp -d)
  export CITYCARD_DATA_DIR=$TMP/data
  mkdir -p "$CITYCARD_DATA_DIR"
  for u in victim:clerk clerk2:clerk auditor:auditor; do
    echo "$PW" | "$BIN" admin create-user --username "${u%%:*}" --role "${u##*:}" --password-stdin >/dev/null
  done
  # The logins step measures memory: throttling (5 checks at once per
  # account since finding 2) is lifted so that only the bound on password
  # checks (finding 3) limits what runs at once.
  limits=()
  if [ "$step" = logins ]; then
    limits=(env CITYCARD_LOGIN_ACCOUNT_MAX_FAILURES=1000 CITYCARD_LOGIN_ADDRESS_MAX_FAILURES=100000)
  fi
  "${limits[@]}" "$BIN" serve --data-dir "$CITYCARD_DATA_DIR" --bind "127.0.0.1:$PORT" >"$TMP/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 150); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "== $step: $BIN (pid $PID), $(grep -E 'VmRSS' /proc/$PID/status | tr -s '\t ' ' ')"
  python3 "$HERE/login_attack.py" --url "http://127.0.0.1:$PORT" --pid "$PID" --steps "$step" \
    --victim victim --login-user clerk2 --login-password "$PW" \
    --auditor auditor --auditor-password "$PW"
  echo "== $step: server peak $(grep -E 'VmHWM' /proc/$PID/status | tr -s '\t ' ' ')"
  cleanup
done
