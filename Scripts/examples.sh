#!/usr/bin/env bash
# Builds and runs the four example packages in Examples/ (each depends on this package by path),
# and checks what each prints. They share one build folder, so the library is compiled once.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-libraries.sh
build=Examples/.build
for example in FileSummary InMemorySchema RejectedRowsCallback AsyncPipeline; do
  swift build --package-path "Examples/$example" --scratch-path "$build" 2>&1 | grep -v "prohibited flag" | tail -1
done
bin="$build/debug"

expect() {  # expect WHAT OUTPUT LINE...: every LINE must be a line of OUTPUT
  local what="$1" output="$2"
  shift 2
  for line in "$@"; do
    grep -qxF -- "$line" <<<"$output" || { printf '%s: missing line: %s\n--- output:\n%s\n' "$what" "$line" "$output" >&2; exit 1; }
  done
}

status=0
out="$("$bin/FileSummary" samples/orders.csv samples/orders.schema.yaml)" || status=$?
[ "$status" -eq 1 ] || { echo "FileSummary: status $status, not 1 (warnings)" >&2; exit 1; }
expect FileSummary "$out" "orders.csv against orders: warnings" "  4 rows, 1 valid, 3 invalid, 10 errors" \
  "  duplicate_id: 1" "  row 3 amount: invalid_amount: Value must be greater than 0: '0'"

out="$("$bin/InMemorySchema")"
expect InMemorySchema "$out" "row 3: title is wrong: Value must be at most 20 characters long: 'A title that is far too long for the shop'" \
  "row 4: the sku is used twice" "row 4: available_from is wrong: Invalid date: '2026-02-30'"
grep -qF '"validationSummary":{"totalRows":3,"preflightValidatedRows":3,"validRows":1,"invalidRows":2,' <<<"$out" \
  || { echo "InMemorySchema: unexpected Piing report: $out" >&2; exit 1; }

out="$("$bin/RejectedRowsCallback" samples/transactions-broken.csv)"
expect RejectedRowsCallback "$out" "row 3 (line 3): invalid_amount  TXN002,abc,2026-01-07,STORE-01,,cash,1,0.40," \
  "row 6 (line 6): duplicate_id  TXN001,4.00,2026-01-08,STORE-03,C-1005,card,1,," \
  "8 of 9 rows rejected; the report counts 8"

out="$("$bin/AsyncPipeline" samples/transactions-broken.csv)"
expect AsyncPipeline "$out" "rejected: row 3 (line 3)" "rejected: row 10 (line 11)" \
  "streamed: warnings, 9 rows, 12 errors" "endless: cancelled after 0.5 s, as asked"
echo "examples: all four built, ran and printed what they should"
