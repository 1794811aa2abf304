#!/usr/bin/env bash
# Runs the commands README.md shows, word for word: every ```sh block, in order, as one bash
# script with -e from the repository's top folder (as a reader following the README would, so
# an `export PATH=...` in one block holds for the next). Not run here:
#   - the two set-up commands, ./Scripts/samples.sh and ./Scripts/test.sh: .ci/run runs them itself;
#   - a block right after a line `<!-- readme-commands: skip (why) -->`: listed, with the reason.
# Files the blocks create (untracked and not ignored by git) are removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-libraries.sh
Scripts/install-libraries.sh jq

script="$(mktemp)"
untracked_before="$(mktemp)"
trap 'rm -f "$script" "$untracked_before"' EXIT
# A block's lines go to the script; skipped blocks and the set-up commands are reported.
awk -v out="$script" '
  /^<!-- readme-commands: skip/ { skip = $0; next }
  /^```sh$/ { inblock = 1; next }
  /^```/ && inblock { inblock = 0; skip = ""; next }
  inblock && skip != "" { print "skipped (" skip "): " $0 > "/dev/stderr"; next }
  inblock && ($0 == "./Scripts/samples.sh" || $0 == "./Scripts/test.sh") { print "run by .ci/run: " $0 > "/dev/stderr"; next }
  inblock { print > out }
' README.md
[ -s "$script" ] || { echo "README.md shows no sh commands to run" >&2; exit 1; }

git ls-files --others --exclude-standard | sort > "$untracked_before"
status=0
bash -e -x "$script" || status=$?
# Remove what the commands wrote (report.json, clean.csv, …), nothing else.
git ls-files --others --exclude-standard | sort | comm -13 "$untracked_before" - | while IFS= read -r created; do
  rm -f -- "$created"
done
if [ "$status" -ne 0 ]; then
  echo "a README command failed (status $status)" >&2
  exit "$status"
fi
echo "README commands: all ran"
