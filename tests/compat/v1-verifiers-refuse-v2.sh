#!/usr/bin/env bash
# Checks that verifiers that read only version 1 revocation lists — the Rust
# crate and the desk page's verifier.js as they were before version 2 (git
# commit below) — refuse a version 2 list with an error, and never read it
# as a list of other numbers (docs/card-format.md §8, §12).
#
#   bash tests/compat/v1-verifiers-refuse-v2.sh [COMMIT]
#
# COMMIT defaults to the last commit before version 2. Uses only git, cargo
# and node; builds the old crate in a temporary directory.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
commit="${1:-24910db}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$repo"
git archive "$commit" crates/citycard-credential Cargo.toml Cargo.lock | tar -x -C "$tmp"
git show "$commit:src/web/desk/verifier.js" > "$tmp/verifier-v1.js"
status=0

# Rust: the old crate loads every accepted version 2 vector.
mkdir -p "$tmp/crates/citycard-credential/examples"
cat > "$tmp/crates/citycard-credential/examples/v1_loads_v2.rs" <<'RS'
//! Loads revocation lists with the old crate; exit 1 if any is read.
use citycard_credential::{Verifier, keys};
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
        let mut v = Verifier::new(&hex(field(&json, "trust_list")), &root).unwrap();
        match v.load_revocations(&hex(field(&json, "revocations"))) {
            Ok(list) => { failed = true; println!("{path}: READ as {} numbers", list.len()) }
            Err(e) => println!("{path}: refused: {e}"),
        }
    }
    std::process::exit(i32::from(failed));
}
RS
v2_lists=$(grep -l '"content_type": "application/vnd.citycard.revocations-v2+cbor"' tests/vectors/revocations/*.json \
  | xargs grep -l '"accepted": true')
# And a version 2 payload signed under the version 1 content type: what a
# version 1 verifier would meet if the content type were not versioned.
v2_lists="$v2_lists tests/vectors/revocations/v2-payload-as-v1.json"
echo "== Rust crate at $commit"
# Only the workspace part of the root manifest (the crate inherits from it).
awk '/^\[package\]/{exit} {print}' "$tmp/Cargo.toml" \
  | sed 's/^members = .*/members = ["crates\/citycard-credential"]/' > "$tmp/Cargo.toml.new"
mv "$tmp/Cargo.toml.new" "$tmp/Cargo.toml"
if ! (cd "$tmp/crates/citycard-credential" && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}/v1-compat" \
      cargo run -q --example v1_loads_v2 -- $(for f in $v2_lists; do echo "$repo/$f"; done)); then
  status=1
fi

echo "== verifier.js at $commit"
cat > "$tmp/check.mjs" <<JS
import { readFileSync } from 'node:fs';
import * as V from '$tmp/verifier-v1.js';
let failed = false;
for (const file of process.argv.slice(2)) {
  const vec = JSON.parse(readFileSync(file, 'utf8'));
  const trust = await V.loadTrustList(V.fromHex(vec.trust_list), { rootPublicKey: V.fromHex(vec.root_public_key) });
  try {
    const list = await V.loadRevocationList(V.fromHex(vec.revocations), trust);
    failed = true;
    console.log(file + ': READ as ' + list.count + ' numbers');
  } catch (e) {
    console.log(file + ': refused: ' + e.message);
  }
}
process.exit(failed ? 1 : 0);
JS
node "$tmp/check.mjs" $v2_lists || status=1
if [ "$status" = 0 ]; then echo "OK: the version 1 verifiers refuse every version 2 list"; fi
exit $status
