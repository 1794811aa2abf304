#!/usr/bin/env bash
# The test command: installs the system libraries if missing, then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-libraries.sh
swift build --build-tests
swift test --skip-build "$@"
