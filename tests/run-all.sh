#!/usr/bin/env bash
# Runs every test of the project: the Rust workspace (unit, integration,
# vectors, property tests, CLI and printing tests), the desk verifier's
# JavaScript tests, and the browser tests against a running `citycard serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust workspace tests"
cargo test --workspace --locked

echo "== a client that does not share our code (Python, stdlib only): sites and pick-up over the API"
bash tests/api_client/run.sh

echo "== desk verifier: JavaScript unit tests and every vector (node --test)"
node --test tests/desk/*.test.mjs

echo "== verifiers before partial dates of birth (Rust crate and verifier.js) refuse such cards"
bash tests/compat/v1-verifiers-refuse-partial-dob.sh
echo "== version 1 verifiers (Rust crate and verifier.js before version 2) refuse version 2 lists"
bash tests/compat/v1-verifiers-refuse-v2.sh

if [ -f tests/browser/package.json ]; then
  echo "== desk verifier: browser tests"
  cargo build --locked --bin citycard
  (cd tests/browser && npm ci --no-audit --no-fund && npm test)
fi
