#!/usr/bin/env bash
# The main job on the bundled samples: installs the system libraries if missing, builds
# preflight, validates a clean and a broken file per format and shows each report, a file
# against a schema file of its own, then the other report styles and the rejects/clean split on
# the broken CSV.
# Fails if any report's exit status is not the expected one.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-libraries.sh
swift build --product preflight
bin="$(swift build --show-bin-path)/preflight"

failures=0
check() {  # expected-status schema file [more options]; schema: a built-in name, or a schema file's path
  local expected=$1 schema=$2 file=$3 status=0 choice=(--schema "$2")
  shift 3
  [ -f "$schema" ] && choice=(--schema-file "$schema")
  echo "\$ preflight validate $file ${choice[*]} $*"
  "$bin" validate "$file" "${choice[@]}" "$@" || status=$?
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
check 1 samples/orders.schema.yaml samples/orders.csv --report text

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
