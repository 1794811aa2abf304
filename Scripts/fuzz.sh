#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS: csv, ndjson, json, values or csvscan (the CSV kernels and
# the JSON value-end kernels against the portable ones).
#   Scripts/fuzz.sh csv 600
# Builds Fuzz/PreflightFuzz with -sanitize=fuzzer,address (Swift) and fuzzer coverage plus ASan in
# the C shims, seeds a corpus from the test fixtures and samples, and keeps what it finds in
# .fuzz/: the growing corpus, and crashers as .fuzz/crash-TARGET-*. Replay a crasher with
#   swift run preflight-fuzz TARGET .fuzz/crash-TARGET-...
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: Scripts/fuzz.sh csv|ndjson|json|values|csvscan SECONDS}
seconds=${2:?usage: Scripts/fuzz.sh csv|ndjson|json|values|csvscan SECONDS}
Scripts/install-libraries.sh
swift build --scratch-path .build-fuzz -c release --product preflight-fuzz \
  -Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -parse-as-library \
  -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address
binary=.build-fuzz/release/preflight-fuzz

corpus=.fuzz/corpus-$target
mkdir -p "$corpus"
case "$target" in
  csv) cp Tests/Fixtures/csv-spectrum/csvs/*.csv samples/*.csv "$corpus"/ ;;
  ndjson) cp samples/*.ndjson "$corpus"/; cp Tests/Fixtures/JSONTestSuite/test_parsing/y_object*.json "$corpus"/ ;;
  json) cp samples/*.json Tests/Fixtures/JSONTestSuite/test_parsing/*.json "$corpus"/ ;;
  csvscan) for file in Tests/Fixtures/csv-spectrum/csvs/*.csv samples/*.csv; do
             { printf ','; cat "$file"; } > "$corpus/$(basename "$file")"; done ;;
  values) printf '%s' 2024-02-29 > "$corpus/date"; printf '%s' 2026-01-07T12:00:00.5+05:30 > "$corpus/datetime"
          printf '%s' -12.50 > "$corpus/decimal"; printf '%s' ' 1' > "$corpus/space" ;;
  *) echo "unknown target '$target' (csv, ndjson, json, values, csvscan)" >&2; exit 64 ;;
esac
# Swift's own crash backtracer would get in the way of the sanitizer's report.
SWIFT_BACKTRACE=enable=no PREFLIGHT_FUZZ_TARGET=$target "$binary" "$corpus" -max_total_time="$seconds" -max_len=65536 -timeout=20 \
  -rss_limit_mb=2048 -artifact_prefix=".fuzz/crash-$target-" -print_final_stats=1
