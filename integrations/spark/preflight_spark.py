"""Validate upload files with preflight on a Spark cluster, with the report of one run.

Each file is cut into byte ranges (about --range-size each); every range is a Spark task that runs
`preflight validate FILE --byte-range START-END --partial PART` on an executor (the binary ships
with the job through SparkContext.addFile); the driver then runs `preflight merge` over each file's
partials, which numbers rows and lines, finds duplicate ids across ranges and writes the report —
byte for byte the report `preflight validate FILE` gives.

When a file has many rows (--shuffle-ids-from, or always with --split-dir), the duplicate-id check
goes through Spark's shuffle instead of the driver's merge: each range's ids are cut into hash
buckets (`preflight partial-ids`), each bucket is checked on an executor (`preflight check-ids`),
and the merge takes the buckets' verdicts. With --split-dir the executors write the rejected and
clean rows as part files (`preflight split-part`): NAME.rejects/part-NNNNN and NAME.clean/part-NNNNN,
whose concatenation in order is the file `preflight validate --rejects/--clean` writes; the
driver's merge writes the rows' errors to NAME.rejects.errors.ndjson.

Files must be readable by every executor at the same path (a local path in local mode, a shared
filesystem on a cluster), or be fetched with --range-command: a shell command template that writes
the file's bytes from {offset} to the end on standard output ({path} and {offset} are filled in,
e.g. "aws s3api get-object --bucket B --key {path} --range bytes={offset}- /dev/stdout"), with
--size-command for the file's size ("aws s3api head-object ... --query ContentLength"). Partials go
to --partials, a folder the driver can read (shared on a cluster).

    spark-submit integrations/spark/preflight_spark.py --preflight .build/release/preflight \
        --partials /shared/partials --report-dir /shared/reports export.csv -- --schema generic_transactions

writes /shared/reports/export.csv.piing (one report per file and --report style; the file's
number in the job goes in front when two files share a name).

Everything after `--` goes to every `preflight validate` (schema, limits); `--report` and
`--max-errors` go to the merge. Exit status: the worst over the files, as preflight's.
"""

import argparse
import json
import os
import shlex
import shutil
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
    """Byte ranges per file: (file number, path, size, range index, start, end), each about
    range_size bytes; an empty file is one range 0-0."""
    tasks = []
    for number, path in enumerate(paths):
        size = file_size(path, size_command)
        count = max(1, -(-size // range_size))
        for index in range(count):
            start, end = index * size // count, (index + 1) * size // count
            if start < end or size == 0:
                tasks.append((number, path, size, index, start, end))
    return tasks


def partial_name(partials, number, path, index):
    """Partials are named by the file's number in the job and its name: two files of one name in
    different folders, or of names that flatten alike, do not meet."""
    return os.path.join(partials, "%04d-%s.%06d.partial" % (number, os.path.basename(path), index))


FORMATS = {"csv": "csv", "tsv": "csv", "ndjson": "ndjson", "jsonl": "ndjson", "json": "json"}


def input_format(path, formats):
    """The format preflight is told for piped bytes, and whether it is tab-separated."""
    if formats.get(path):
        return formats[path], False
    name = path.lower()
    name = name[:-3] if name.endswith(".gz") else name
    extension = os.path.splitext(name)[1].lstrip(".")
    return FORMATS.get(extension, extension), extension == "tsv"


def read_trailer(partial):
    """A partial's trailer (JSON at its end: the last 8 bytes give its block's offset)."""
    with open(partial, "rb") as f:
        f.seek(-8, os.SEEK_END)
        offset = struct.unpack("<Q", f.read(8))[0]
        f.seek(offset)
        head = f.read(9)
        return json.loads(f.read(struct.unpack("<Q", head[1:9])[0]))


def misjudged(shards):
    """A file's shards (task, partial) in range order whose first row is not where the rows before
    them end: (position, the byte their rows start at). A shard wholly inside a row before it has
    no rows and is passed over, as the merge does."""
    found = []
    expected = None
    for position, (_, partial) in enumerate(shards):
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
    """One range on an executor: (task, partial path), or an exception with preflight's own message.
    A task of seven items names the byte its first row starts at (a repair)."""
    import threading

    number, path, size, index, start, end = task[:6]
    first_row_at = task[6] if len(task) > 6 else None
    binary = preflight_binary(binary_name)
    out = partial_name(partials, number, path, index)
    command = [binary, "validate"]
    header, feed = b"", None
    if range_command:
        # The bytes from one before the range on (that byte says whether a row starts at START; a
        # range in the first bytes starts at 0, BOM included), or from the row's start when known;
        # for CSV after the header line, read from the file's start.
        fmt, tabs = input_format(path, formats)
        base = first_row_at if first_row_at is not None else (0 if start <= 3 else start - 1)
        if fmt == "csv" and base > 0:
            reader = subprocess.Popen(range_command.format(path=shlex.quote(path), offset=0), shell=True,
                                      stdout=subprocess.PIPE)
            header = reader.stdout.readline()
            reader.kill()
            reader.wait()
            base = max(base, len(header))
        feed = subprocess.Popen(range_command.format(path=shlex.quote(path), offset=base), shell=True,
                                stdout=subprocess.PIPE)
        command += ["-", "--name", os.path.basename(path), "--byte-range-base", str(base), "--file-size", str(size)]
        if not formats.get(path):
            command += ["--format", fmt] + (["--delimiter", "tab"] if tabs else [])
    else:
        command.append(path)
    command += ["--byte-range", "%d-%d" % (start, end), "--partial", out] + list(validate_args)
    if first_row_at is not None:
        command += ["--first-row-at", str(first_row_at)]
    shard = subprocess.Popen(command, stdin=subprocess.PIPE if feed else None, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    failed_read = []
    if feed:
        def pump():
            # The shard stops reading once its rows are done: a closed pipe ends the copy early, and
            # the range command is stopped. A read that fails on its own is an error.
            finished = False
            try:
                shard.stdin.write(header)
                for chunk in iter(lambda: feed.stdout.read(1 << 20), b""):
                    shard.stdin.write(chunk)
                finished = True
            except BrokenPipeError:
                pass
            finally:
                try:
                    shard.stdin.close()
                except BrokenPipeError:
                    pass
                if finished:
                    if feed.wait() != 0:
                        failed_read.append(feed.returncode)
                else:
                    feed.kill()
                    feed.wait()
        copier = threading.Thread(target=pump)
        copier.start()
    errors = shard.stderr.read()
    shard.wait()
    if feed:
        copier.join()
    if failed_read:
        raise RuntimeError("range read of %s from byte %d failed (status %d)" % (path, base, failed_read[0]))
    if shard.returncode != 0:
        raise RuntimeError("preflight shard %s bytes %d-%d: %s" % (path, start, end,
                                                                  errors.decode("utf-8", "replace").strip()))
    return task[:6], out


def preflight_binary(binary_name):
    """The binary shipped with the job, on this executor."""
    from pyspark import SparkFiles

    binary = SparkFiles.get(binary_name)
    os.chmod(binary, 0o755)
    return binary


def run_tool(command, what):
    """Runs a preflight command on an executor; an exception with its message when it fails."""
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError("preflight %s: %s" % (what, done.stderr.decode("utf-8", "replace").strip()))


def bucket_ids(task, binary_name):
    """One range's ids cut into buckets (preflight partial-ids): ((file, bucket), (range, bytes))
    for every bucket, the ranges' files of a bucket meeting in the shuffle."""
    import shutil
    import tempfile

    number, position, partial, plan, buckets = task
    folder = tempfile.mkdtemp(prefix="preflight-ids-")
    try:
        run_tool([preflight_binary(binary_name), "partial-ids", "--plan", plan, "--shard", partial,
                  "--buckets", str(buckets), "--output-dir", folder], "partial-ids " + partial)
        for bucket in range(buckets):
            name = "bucket-%05d.ids" % bucket
            with open(os.path.join(folder, name), "rb") as f:
                yield (number, bucket), (position, f.read())
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def verdicts_name(partials, number, path, bucket):
    """Where a file's bucket's verdicts go: beside its partials."""
    return os.path.join(partials, "%04d-%s.bucket-%05d.verdicts" % (number, os.path.basename(path), bucket))


def check_bucket(item, binary_name, partials, paths):
    """One bucket's ids from every range, checked (preflight check-ids) into a verdicts file beside
    the partials (shared): ((file, bucket), its path). The driver gets paths, not verdicts."""
    import shutil
    import tempfile

    key, parts = item
    folder = tempfile.mkdtemp(prefix="preflight-bucket-")
    try:
        files, paths = paths, []
        for position, data in parts:
            paths.append(os.path.join(folder, "%06d.ids" % position))
            with open(paths[-1], "wb") as f:
                f.write(data)
        out = verdicts_name(partials, key[0], files[key[0]], key[1])
        run_tool([preflight_binary(binary_name), "check-ids"] + paths + ["--output", out, "--threads", "1"],
                 "check-ids, file %d bucket %d" % key)
        return key, out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def write_part(task, binary_name):
    """One range's rows of the split (preflight split-part), as part files in range order."""
    partial, plan, verdicts, rejects, clean = task
    run_tool([preflight_binary(binary_name), "split-part", "--plan", plan, "--shard", partial]
             + [item for path in verdicts for item in ("--id-verdicts", path)]
             + ["--rejects", rejects, "--clean", clean], "split-part " + partial)
    return partial


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
    parser.add_argument("--split-dir", default=None,
                        help="write each file's rejected and clean rows here as part files (NAME.rejects/part-NNNNN, "
                             "NAME.clean/part-NNNNN: joined in order, the files preflight validate --rejects/--clean "
                             "writes) and the rejects' errors in NAME.rejects.errors.ndjson; a folder every executor "
                             "can write")
    parser.add_argument("--range-size", default="128M", help="bytes per range (default 128M)")
    parser.add_argument("--shuffle-ids-from", type=int, default=50_000_000,
                        help="check duplicate ids through Spark's shuffle for files of at least this many rows "
                             "(default 50000000; 0: always; the driver's merge checks them otherwise)")
    parser.add_argument("--id-buckets", type=int, default=0,
                        help="hash buckets of the shuffled duplicate check (default: one per range, at most 1024)")
    parser.add_argument("--range-command", default=None, help="command template writing {path} from {offset}")
    parser.add_argument("--size-command", default=None, help="command template printing {path}'s size")
    parser.add_argument("--format", default=None, help="csv, ndjson (default: from each name)")
    parser.add_argument("--master", default=None, help="Spark master when not set by spark-submit (e.g. local[2])")
    args = parser.parse_args(argv)
    if args.split_dir and args.range_command:
        parser.error("--split-dir writes rows read from the files: it needs them at a path every executor can read, "
                     "not --range-command")

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
    # A range that began inside a quoted field (a CSV field with line breaks) may have started at
    # the wrong row: each round reads again, in parallel, every shard whose first row is not where
    # the rows before it end, from there. A file's first shard is always right, so every round
    # settles at least one more.
    for _ in range(len(tasks)):
        repairs = []
        for number in range(len(args.files)):
            shards = sorted((item for item in done if item[0][0] == number), key=lambda item: item[0][3])
            for position, first_row in misjudged(shards):
                repairs.append(shards[position][0] + (first_row,))
        if not repairs:
            break
        print("preflight: reading %d range(s) again from their first row" % len(repairs), file=sys.stderr)
        run(repairs)
    print("preflight: %d range(s) validated in %.1f s" % (len(tasks), time.time() - started), file=sys.stderr)

    names = [os.path.basename(path) for path in args.files]
    # Reports are named NAME.STYLE, with the file's number in front when two files share a name.
    names = [name if names.count(name) == 1 else "%d-%s" % (number, name) for number, name in enumerate(names)]
    partials_of = {number: [out for (task, out) in sorted(done, key=lambda item: item[0][3]) if task[0] == number]
                   for number in range(len(args.files))}

    # The duplicate-id check through the shuffle, for the files that need it: buckets of ids from
    # every range meet on one executor each; their verdicts go beside the partials.
    verdicts_of = {}
    shuffled = [number for number in range(len(args.files))
                if args.split_dir or sum(read_trailer(p)["rows"] for p in partials_of[number]) >= args.shuffle_ids_from]
    # Each range's task reads its own partial and the file's plan (where every range's rows start
    # and how they are numbered), not every partial's trailer.
    plans = {}
    for number in shuffled:
        plans[number] = os.path.join(partials, "%04d-%s.plan" % (number, os.path.basename(args.files[number])))
        subprocess.run([args.preflight, "plan"] + partials_of[number] + ["--output", plans[number]], check=True)
    if shuffled:
        checking = time.time()
        buckets = {number: max(1, min(1024, args.id_buckets or len(partials_of[number]))) for number in shuffled}
        files = list(args.files)
        id_tasks = [(number, position, partial, plans[number], buckets[number])
                    for number in shuffled for position, partial in enumerate(partials_of[number])]
        verdicts = sc.parallelize(id_tasks, len(id_tasks)) \
            .flatMap(lambda task: bucket_ids(task, binary_name)) \
            .groupByKey(sum(buckets.values())) \
            .map(lambda item: check_bucket(item, binary_name, partials, files)) \
            .collect()
        for (number, bucket), path in sorted(verdicts):
            verdicts_of.setdefault(number, []).append(path)
        print("preflight: duplicate ids of %d file(s) checked in %d bucket(s) in %.1f s"
              % (len(shuffled), sum(buckets.values()), time.time() - checking), file=sys.stderr)

    # The split as part files, written by the executors: range i's rows are part i (numbered wide
    # enough to sort), in a new folder put in place of the old once every part is written (parts of
    # an earlier run must not join these).
    if args.split_dir:
        writing = time.time()
        part_tasks, folders = [], []
        for number in range(len(args.files)):
            width = max(5, len(str(len(partials_of[number]) - 1)))
            for kind in ("rejects", "clean"):
                final = os.path.join(args.split_dir, names[number] + "." + kind)
                folders.append((final + ".partial-%d" % os.getpid(), final))
                shutil.rmtree(folders[-1][0], ignore_errors=True)
                os.makedirs(folders[-1][0])
            for position, partial in enumerate(partials_of[number]):
                part = "part-%0*d" % (width, position)
                part_tasks.append((partial, plans[number], verdicts_of.get(number, []),
                                   os.path.join(folders[-2][0], part), os.path.join(folders[-1][0], part)))
        sc.parallelize(part_tasks, len(part_tasks)).map(lambda task: write_part(task, binary_name)).collect()
        for temporary, final in folders:
            if os.path.isdir(final) and not os.path.islink(final):
                shutil.rmtree(final)
            elif os.path.lexists(final):
                os.unlink(final)
            os.rename(temporary, final)
        print("preflight: %d part(s) of the split written in %.1f s" % (len(part_tasks), time.time() - writing),
              file=sys.stderr)
    spark.stop()

    worst = 0
    for number, path in enumerate(args.files):
        parts, name = partials_of[number], names[number]
        for number_of_style, style in enumerate(args.report.split(",")):
            report = os.path.join(args.report_dir, name + "." + style)
            merge = [args.preflight, "merge"] + parts + ["--report", style]
            merge += [item for verdicts in verdicts_of.get(number, []) for item in ("--id-verdicts", verdicts)]
            if args.max_errors is not None:
                merge += ["--max-errors", str(args.max_errors)]
            if args.split_dir and number_of_style == 0:
                # The rows' errors come with the first report (the same whatever the style).
                merge += ["--rejects-errors", os.path.join(args.split_dir, name + ".rejects.errors.ndjson")]
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
