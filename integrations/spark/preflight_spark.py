"""Validate upload files with preflight on a Spark cluster, with the report of one run.

Each file is cut into byte ranges (about --range-size each); every range is a Spark task that runs
`preflight validate FILE --byte-range START-END --partial PART` on an executor (the binary ships
with the job through SparkContext.addFile); the driver then runs `preflight merge` over each file's
partials, which numbers rows and lines, finds duplicate ids across ranges and writes the report —
byte for byte the report `preflight validate FILE` gives.

Files must be readable by every executor at the same path (a local path in local mode, a shared
filesystem on a cluster), or be fetched with --range-command: a shell command template that writes
the file's bytes from {offset} to the end on standard output ({path} and {offset} are filled in,
e.g. "aws s3api get-object --bucket B --key {path} --range bytes={offset}- /dev/stdout"), with
--size-command for the file's size ("aws s3api head-object ... --query ContentLength"). Partials go
to --partials, a folder the driver can read (shared on a cluster).

    spark-submit integrations/spark/preflight_spark.py --preflight .build/release/preflight \
        --partials /shared/partials --report-dir /shared/reports export.csv -- --schema generic_transactions

writes /shared/reports/export.csv.piing (one report per file and --report style).

Everything after `--` goes to every `preflight validate` (schema, limits); `--report` and
`--max-errors` go to the merge. Exit status: the worst over the files, as preflight's.
"""

import argparse
import json
import os
import shlex
import struct
import subprocess
import sys
import time


def parse_size(text):
    """"128M", "1G", "65536" -> bytes (binary units, as preflight's sizes)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B")
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


def file_size(path, size_command):
    if size_command:
        out = subprocess.run(size_command.format(path=shlex.quote(path)), shell=True, check=True,
                             capture_output=True, text=True).stdout
        return int(out.strip())
    return os.path.getsize(path)


def plan(paths, range_size, size_command):
    """Byte ranges per file: (path, index, start, end), each about range_size bytes."""
    tasks = []
    for path in paths:
        size = file_size(path, size_command)
        count = max(1, -(-size // range_size))
        for index in range(count):
            start, end = index * size // count, (index + 1) * size // count
            if start < end:
                tasks.append((path, index, start, end))
        if size == 0:
            tasks.append((path, 0, 0, 0))
    return tasks


def partial_name(partials, path, index):
    safe = path.strip("/").replace("/", "_")
    return os.path.join(partials, "%s.%06d.partial" % (safe, index))


def input_format(path, formats):
    return formats.get(path) or os.path.splitext(path[:-3] if path.endswith(".gz") else path)[1].lstrip(".")


def read_trailer(partial):
    """A partial's trailer (JSON at its end: the last 8 bytes give its block's offset)."""
    with open(partial, "rb") as f:
        f.seek(-8, os.SEEK_END)
        offset = struct.unpack("<Q", f.read(8))[0]
        f.seek(offset)
        head = f.read(9)
        return json.loads(f.read(struct.unpack("<Q", head[1:9])[0]))


def misjudged(shards):
    """Shards (path, index, partial) of one file in range order whose first row is not where the
    rows before them end: (task index, the byte their rows start at). A shard wholly inside a row
    before it has no rows and is passed over, as the merge does."""
    found = []
    expected = None
    for position, (_, _, partial) in enumerate(shards):
        trailer = read_trailer(partial)
        if expected is None:
            expected = trailer["firstRow"]
        if expected >= trailer["rangeEnd"]:
            continue
        if trailer["firstRow"] != expected:
            found.append((position, expected))
        expected = trailer["rowsEnd"]
    return found


def run_shard(task, binary_name, validate_args, partials, range_command, formats):
    """One range on an executor: the partial's path, or an exception with preflight's own message.
    A task of five items names the byte its first row starts at (a repair)."""
    import threading
    from pyspark import SparkFiles

    path, index, start, end = task[:4]
    first_row_at = task[4] if len(task) > 4 else None
    binary = SparkFiles.get(binary_name)
    os.chmod(binary, 0o755)
    out = partial_name(partials, path, index)
    if end == 0:  # an empty file: one shard over nothing
        start, end = 0, 1
    command = [binary, "validate"]
    header, feed = b"", None
    if range_command:
        # Bytes from one before the range on (that byte says whether a row starts at START); for CSV
        # the header line first, from the file's start.
        fmt = input_format(path, formats)
        base = max(0, start - 1) if first_row_at is None else first_row_at
        if fmt in ("csv", "tsv") and base > 0:
            reader = subprocess.Popen(range_command.format(path=shlex.quote(path), offset=0), shell=True,
                                      stdout=subprocess.PIPE)
            header = reader.stdout.readline()
            reader.kill()
            reader.wait()
            base = max(base, len(header))
        feed = subprocess.Popen(range_command.format(path=shlex.quote(path), offset=base), shell=True,
                                stdout=subprocess.PIPE)
        command += ["-", "--name", os.path.basename(path), "--byte-range-base", str(base)]
        if not formats.get(path):
            command += ["--format", "csv" if fmt == "tsv" else fmt] + (["--delimiter", "tab"] if fmt == "tsv" else [])
    else:
        command.append(path)
    command += ["--byte-range", "%d-%d" % (start, end), "--partial", out] + list(validate_args)
    if first_row_at is not None:
        command += ["--first-row-at", str(first_row_at)]
    shard = subprocess.Popen(command, stdin=subprocess.PIPE if feed else None, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    if feed:
        def pump():
            # The shard stops reading once its rows are done: a closed pipe ends the copy.
            try:
                shard.stdin.write(header)
                for chunk in iter(lambda: feed.stdout.read(1 << 20), b""):
                    shard.stdin.write(chunk)
            except BrokenPipeError:
                pass
            finally:
                try:
                    shard.stdin.close()
                except BrokenPipeError:
                    pass
                feed.kill()
                feed.wait()
        copier = threading.Thread(target=pump)
        copier.start()
    _, errors = shard.communicate() if not feed else (None, shard.stderr.read())
    if feed:
        copier.join()
        shard.wait()
    if shard.returncode != 0:
        raise RuntimeError("preflight shard %s bytes %d-%d: %s" % (path, start, end,
                                                                  errors.decode("utf-8", "replace").strip()))
    return path, index, out


def main(argv):
    if "--" in argv:
        split = argv.index("--")
        argv, validate_args = argv[:split], argv[split + 1:]
    else:
        validate_args = []
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", help="files to validate (paths every executor can read)")
    parser.add_argument("--preflight", required=True, help="the preflight binary (shipped to the executors)")
    parser.add_argument("--partials", required=True, help="folder for the partial results (shared on a cluster)")
    parser.add_argument("--report-dir", required=True, help="folder for the reports: FILE's name + . + style")
    parser.add_argument("--report", default="piing",
                        help="report styles, comma-separated (piing, productsup, jumbo, ndjson, text)")
    parser.add_argument("--max-errors", default=None, help="errors listed (as preflight's --max-errors)")
    parser.add_argument("--range-size", default="128M", help="bytes per range (default 128M)")
    parser.add_argument("--range-command", default=None, help="command template writing {path} from {offset}")
    parser.add_argument("--size-command", default=None, help="command template printing {path}'s size")
    parser.add_argument("--format", default=None, help="csv, ndjson (default: from each name)")
    parser.add_argument("--master", default=None, help="Spark master when not set by spark-submit (e.g. local[2])")
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("preflight").config("spark.ui.showConsoleProgress", "false")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    os.makedirs(args.partials, exist_ok=True)
    os.makedirs(args.report_dir, exist_ok=True)
    sc.addFile(os.path.abspath(args.preflight))
    binary_name = os.path.basename(args.preflight)
    formats = {path: args.format for path in args.files} if args.format else {}
    if args.format:
        validate_args = ["--format", args.format] + validate_args

    tasks = plan(args.files, parse_size(args.range_size), args.size_command)
    partials, range_command = args.partials, args.range_command

    def run(batch):
        return sc.parallelize(batch, max(1, len(batch))) \
            .map(lambda task: run_shard(task, binary_name, validate_args, partials, range_command, formats)) \
            .collect()

    started = time.time()
    done = run(tasks)
    # A range that began inside a quoted field (a CSV field with line breaks) started at the wrong
    # row: each round reads again, in parallel, every shard whose first row is not where the rows
    # before it end, from there. Shard 0 is always right, so every round settles at least one more.
    by_task = {(path, index): task for task in tasks for (path, index) in [task[:2]]}
    for _ in range(len(tasks)):
        repairs = []
        for path in args.files:
            shards = sorted((item for item in done if item[0] == path), key=lambda item: item[1])
            for position, first_row in misjudged(shards):
                repairs.append(by_task[shards[position][:2]] + (first_row,))
        if not repairs:
            break
        print("preflight: reading %d range(s) again from their first row" % len(repairs), file=sys.stderr)
        run(repairs)
    print("preflight: %d range(s) validated in %.1f s" % (len(tasks), time.time() - started), file=sys.stderr)
    spark.stop()

    worst = 0
    for path in args.files:
        parts = [out for (p, _, out) in sorted(done, key=lambda item: item[1]) if p == path]
        for style in args.report.split(","):
            report = os.path.join(args.report_dir, os.path.basename(path) + "." + style)
            merge = [args.preflight, "merge"] + parts + ["--report", style]
            if args.max_errors is not None:
                merge += ["--max-errors", str(args.max_errors)]
            merging = time.time()
            with open(report + ".tmp", "wb") as out:
                status = subprocess.run(merge, stdout=out).returncode
            print("preflight: %s merged (%s) in %.1f s" % (path, style, time.time() - merging), file=sys.stderr)
            if status > 2:
                os.unlink(report + ".tmp")
                print("preflight merge failed for %s (status %d)" % (path, status), file=sys.stderr)
            else:
                os.replace(report + ".tmp", report)
            worst = max(worst, status)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
