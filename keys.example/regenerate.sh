#!/bin/sh
# Regenerates the throwaway example keys and lists in this directory.
# THESE KEYS ARE PUBLIC: for examples and tests only, never for real cards.
#
# Usage: keys.example/regenerate.sh
#   (set CITYCARD=/path/to/citycard to use a built binary instead of cargo run)
set -eu
cd "$(dirname "$0")"
CITYCARD="${CITYCARD:-cargo run --quiet --}"

rm -f root.key root.pub root.encrypted.key \
    office-mitte.key office-mitte.pub office-nord.key office-nord.pub \
    trust-list.cose revocations.cose
passphrase_file=$(mktemp)
trap 'rm -f "$passphrase_file"' EXIT
printf 'example-only\n' > "$passphrase_file"

# The root key, plain and encrypted (passphrase: example-only).
$CITYCARD keys init-root --out root.key
$CITYCARD keys set-passphrase --key root.key --new-passphrase-file "$passphrase_file" \
    --out root.encrypted.key

# Two office keys.
$CITYCARD keys new-office --office "Office Mitte" --out office-mitte.key
$CITYCARD keys new-office --office "Office Nord" --out office-nord.key

# The trust list: both office keys may sign from 2026 to 2029.
$CITYCARD keys trust-list --root root.key \
    --office office-mitte.pub --office-name "Office Mitte" \
    --office office-nord.pub --office-name "Office Nord" \
    --issuer example --city-name "Example City" \
    --issued 2026-01-01 --next-update 2030-12-31 \
    --sign-from 2026-01-01 --sign-until 2029-12-31 \
    --out trust-list.cose

# The revocation list: the two numbers in revoked.txt.
$CITYCARD keys revocations --root root.key --revoked revoked.txt \
    --trust-list trust-list.cose \
    --issued 2026-01-01 --next-update 2030-12-31 \
    --out revocations.cose
