#!/usr/bin/env bash
# The main job on the bundled samples: installs the system libraries if missing, builds
# preflight, validates a clean and a broken file per format and shows each report, then the
# other report styles and the rejects/clean split on the broken CSV.
# Fails if any report's exit status is not the expected one.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-libraries.sh
swift build --product preflight
bin="$(swift build --show-bin-path)/preflight"

failures=0
check() {  # expected-status schema file [more options]
  local expected=$1 schema=$2 file=$3 status=0
  shift 3
  echo "\$ preflight validate $file --schema $schema $*"
  "$bin" validate "$file" --schema "$schema" "$@" || status=$?
  echo "(exit status $status)"
  echo
  if [ "$status" -ne "$expected" ]; then
    echo "unexpected exit status for $file: $status, expected $expected" >&2
    failures=$((failures + 1))
  fi
}

check 0 generic_transactions samples/transactions-clean.csv
check 1 generic_transactions samples/transactions-broken.csv
check 0 productsup_stream samples/products-clean.ndjson
check 1 productsup_stream samples/products-broken.ndjson
check 0 square_pos samples/square-clean.json
check 1 square_pos samples/square-broken.json

# The other report styles, and the rejects/clean split, on the broken CSV.
for style in productsup jumbo text ndjson; do
  check 1 generic_transactions samples/transactions-broken.csv --report "$style"
done
out="$(mktemp -d)"
check 1 generic_transactions samples/transactions-broken.csv --rejects "$out/rejects.csv" --clean "$out/clean.csv" \
  --report text
for part in clean.csv rejects.csv rejects.csv.errors.ndjson; do
  echo "--- $part"
  cat "$out/$part"
done
rm -rf "$out"
[ "$failures" -eq 0 ]
