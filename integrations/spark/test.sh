#!/usr/bin/env bash
# The Spark job in local mode against single runs: every report style byte-identical, for files
# read at a shared path and for files fetched by range reads piped to the shards. Installs what it
# needs: Java 17 (Debian's openjdk-17) when missing, and pyspark from PyPI in a virtual
# environment under .build/.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! java -version 2>&1 | grep -q 'version "17'; then
  apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless > /dev/null
fi
if [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64; fi
venv=.build/spark-venv
if ! "$venv/bin/python" -c "import pyspark" 2> /dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pyspark==3.5.3
fi
swift build --product preflight
preflight="$(swift build --show-bin-path)/preflight"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" integrations/spark/make_test_data.py "$work" 3000
: > "$work/empty.csv"
for mode in shared piped; do
  fetch=()
  styles=piing,productsup,jumbo,ndjson
  split=(--split-dir "$work/$mode/split")
  if [ "$mode" = piped ]; then
    # Range reads as an object store's client would do them: the file's bytes from an offset on.
    # (The productsup report shows rows read from the file: it needs the file at the driver.)
    fetch=(--range-command 'tail -c +$(({offset} + 1)) {path}' --size-command 'wc -c < {path}')
    styles=piing,jumbo,ndjson
    split=(--shuffle-ids-from 0)
  fi
  status=0
  "$venv/bin/python" integrations/spark/preflight_spark.py --master 'local[2]' --preflight "$preflight" \
    --partials "$work/$mode/partials" --report-dir "$work/$mode/reports" --range-size 4K --id-buckets 5 --report "$styles" "${split[@]}" \
    "${fetch[@]}" "$work/orders.csv" "$work/orders.ndjson" "$work/empty.csv" -- --schema generic_transactions --max-rows 0 \
    2> "$work/job.log" || status=$?
  [ "$status" -le 2 ] || { cat "$work/job.log" >&2; echo "spark job failed ($status)" >&2; exit 1; }
  # Ranges cut inside quoted lines that read like records start at the wrong row: read again.
  grep "range(s) again from their first row" "$work/job.log" || { echo "no range was read again" >&2; exit 1; }
  # Both modes check duplicate ids through the shuffle (the split needs it; piped: --shuffle-ids-from 0).
  grep "duplicate ids of 3 file(s) checked in" "$work/job.log" || { cat "$work/job.log" >&2; exit 1; }
  for file in orders.csv orders.ndjson empty.csv; do
    shards=$(ls "$work/$mode/partials" | grep -c "^[0-9]*-$file\.[0-9]*\.partial$")
    for style in ${styles//,/ }; do
      "$preflight" validate "$work/$file" --schema generic_transactions --max-rows 0 --report "$style" \
        > "$work/single" || [ $? -le 2 ]
      cmp "$work/single" "$work/$mode/reports/$file.$style"
    done
    if [ "$mode" = shared ]; then
      # The split: the executors' part files joined in order, as `preflight validate --rejects
      # --clean` writes it.
      "$preflight" validate "$work/$file" --schema generic_transactions --max-rows 0 --rejects "$work/one.rejects" \
        --clean "$work/one.clean" > /dev/null || [ $? -le 2 ]
      parts=$(ls "$work/$mode/split/$file.rejects" | wc -l)
      [ "$parts" -eq "$shards" ] || { echo "$parts parts for $shards ranges" >&2; exit 1; }
      cat "$work/$mode/split/$file.rejects"/part-* | cmp "$work/one.rejects" -
      cat "$work/$mode/split/$file.clean"/part-* | cmp "$work/one.clean" -
      cmp "$work/one.rejects.errors.ndjson" "$work/$mode/split/$file.rejects.errors.ndjson"
    fi
    echo "spark, $mode, $file in $shards ranges: the $styles reports${split:+ (ids checked through the shuffle)} equal one run's"
  done
done
