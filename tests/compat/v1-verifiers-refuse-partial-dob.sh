#!/usr/bin/env bash
# Checks that verifiers written before partial dates of birth (card payload
# version 2, docs/card-format.md §5.1, §12) — the Rust crate and the desk
# page's verifier.js at the commit below — report every card with a
# year-only or month-and-year date of birth as malformed, and never show it
# as a card (with a made-up day, or without its date of birth).
#
#   bash tests/compat/v1-verifiers-refuse-partial-dob.sh [COMMIT]
#
# COMMIT defaults to the last commit before partial dates. Uses only git,
# cargo and node; builds the old crate in a temporary directory.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
commit="${1:-24910db}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$repo"
git archive "$commit" crates/citycard-credential Cargo.toml Cargo.lock | tar -x -C "$tmp"
git show "$commit:src/web/desk/verifier.js" > "$tmp/verifier-v1.js"
status=0

# Every vector whose card carries a partial date of birth (card key 4) and
# that today's verifiers accept.
cards=$(grep -l '"date_of_birth": "[0-9]\{4\}\(-[0-9]\{2\}\)\?"' tests/vectors/*.json | xargs grep -l '"outcome": "valid"')
if [ -z "$cards" ]; then echo "no partial-date vectors found"; exit 1; fi

echo "== Rust crate at $commit"
mkdir -p "$tmp/crates/citycard-credential/examples"
cat > "$tmp/crates/citycard-credential/examples/v1_verifies_partial.rs" <<'RS'
//! Verifies cards with the old crate; exit 1 unless every one is malformed.
use citycard_credential::{Outcome, Verifier, date, keys};
fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}
fn field<'a>(json: &'a str, name: &str) -> &'a str {
    let at = json.find(&format!("\"{name}\": \"")).unwrap() + name.len() + 5;
    &json[at..at + json[at..].find('"').unwrap()]
}
fn main() {
    let mut failed = false;
    for path in std::env::args().skip(1) {
        let json = std::fs::read_to_string(&path).unwrap();
        let root = keys::public_from_bytes(&hex(field(&json, "root_public_key"))).unwrap();
        let v = Verifier::new(&hex(field(&json, "trust_list")), &root).unwrap();
        let r = v.verify(field(&json, "text"), date::parse(field(&json, "date")).unwrap());
        if r.outcome == Outcome::Malformed && r.card.is_none() {
            println!("{path}: refused: {}", r.reason.map(|e| e.to_string()).unwrap_or_default());
        } else {
            failed = true;
            println!("{path}: READ as {} with {:?}", r.outcome.code(), r.card.map(|c| c.date_of_birth));
        }
    }
    std::process::exit(i32::from(failed));
}
RS
awk '/^\[package\]/{exit} {print}' "$tmp/Cargo.toml" \
  | sed 's/^members = .*/members = ["crates\/citycard-credential"]/' > "$tmp/Cargo.toml.new"
mv "$tmp/Cargo.toml.new" "$tmp/Cargo.toml"
if ! (cd "$tmp/crates/citycard-credential" && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}/v1-compat" \
      cargo run -q --example v1_verifies_partial -- $(for f in $cards; do echo "$repo/$f"; done)); then
  status=1
fi

echo "== verifier.js at $commit"
cat > "$tmp/check.mjs" <<JS
import { readFileSync } from 'node:fs';
import * as V from '$tmp/verifier-v1.js';
let failed = false;
for (const file of process.argv.slice(2)) {
  const vec = JSON.parse(readFileSync(file, 'utf8'));
  const verifier = await V.createVerifier({ trustList: V.fromHex(vec.trust_list), rootPublicKey: V.fromHex(vec.root_public_key) });
  const r = await verifier.verify(vec.text, vec.date);
  if (r.outcome === 'malformed' && r.card === null) {
    console.log(file + ': refused: ' + r.reason);
  } else {
    failed = true;
    console.log(file + ': READ as ' + r.outcome + ' with ' + JSON.stringify(r.card));
  }
}
process.exit(failed ? 1 : 0);
JS
node "$tmp/check.mjs" $cards || status=1
if [ "$status" = 0 ]; then echo "OK: the verifiers before partial dates refuse every card with one as malformed"; fi
exit $status
