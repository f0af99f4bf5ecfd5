#!/usr/bin/env bash
# A short, bounded fuzz run of every target (for CI and a quick local check).
#
#   bash crates/citycard-credential/fuzz/run-short.sh [SECONDS_PER_TARGET]
#
# Installs cargo-fuzz if it is missing, seeds the corpora from tests/vectors/,
# and runs each target for SECONDS_PER_TARGET (default 30). Works on a stable
# toolchain: RUSTC_BOOTSTRAP=1 lets stable rustc take the -Z flags that
# cargo-fuzz passes (sanitizer, coverage instrumentation). Exits non-zero if a
# target crashes; the crashing input is left in fuzz/artifacts/<target>/.
set -euo pipefail
seconds="${1:-30}"
cd "$(dirname "$0")"
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked
fi
python3 seed-corpus.py
export RUSTC_BOOTSTRAP=1
cargo fuzz build
for target in qr_text cose trust_list revocation_list revocation_codes; do
  echo "== fuzz $target for ${seconds}s"
  cargo fuzz run "$target" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 \
    | grep -E '^(==|INFO: seed corpus|Done|stat::number_of_executed_units|stat::new_units_added)|ERROR|panicked'
done
