#!/usr/bin/env bash
# Builds the DocC documentation of the Preflight library (swift-docc-plugin) and fails on any
# DocC warning (a broken symbol link, a parameter documented under the wrong name, …) or on a
# public symbol without a documentation comment (Scripts/doc-coverage.py).
# The archive is left in .build/plugins/Swift-DocC/outputs/Preflight.doccarchive.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-libraries.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
swift package generate-documentation --target Preflight \
  --experimental-documentation-coverage --coverage-summary-level detailed >"$log" 2>&1 \
  || { cat "$log" >&2; exit 1; }
# SwiftPM's own note that simdjson's pkg-config file carries a -D define (set in Package.swift
# instead) is not a documentation warning.
if grep -i "warning:" "$log" | grep -v "prohibited flag(s): -DSIMDJSON_THREADS_ENABLED=1" >&2; then
  echo "documentation: DocC warnings (above)" >&2
  exit 1
fi
python3 Scripts/doc-coverage.py | tail -1
echo "documentation: built without warnings, at .build/plugins/Swift-DocC/outputs/Preflight.doccarchive"
