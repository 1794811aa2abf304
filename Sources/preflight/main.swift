import ArgumentParser
@_spi(Tuning) @_spi(CommandLine) import Preflight

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit statuses of SPEC §7.
enum Exit {
    static let usage: Int32 = 64
    static let unreadableInput: Int32 = 66
    static let software: Int32 = 70
    /// The report could not be written (EX_IOERR).
    static let ioError: Int32 = 74
    /// Stopped by Ctrl-C (128 + SIGINT, as shells report it).
    static let interrupted: Int32 = 130
    /// Standard output was a pipe whose reader went away (`| head`): end quietly, as grep does,
    /// by SIGPIPE (128 + 13 in the shell).
    static let brokenPipe: Int32 = 141

    /// A report's status (SPEC §7): 0 valid, 1 row-level errors only, 2 file-level errors.
    static func status(of report: ValidationReport) -> Int32 {
        switch report.status {
        case .valid: return 0
        case .warnings: return 1
        case .failed: return 2
        }
    }
}

/// A problem to report on one stderr line, with its exit status.
struct CommandFailure: Error {
    let message: String
    let status: Int32
}

struct PreflightCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "Check upload files (CSV, JSON, NDJSON) against a platform's schema before you upload them.",
        discussion: """
            Exit status: 0 valid, 1 row-level errors only, 2 file-level errors, \
            64 usage error, 66 input cannot be read, 74 an output cannot be written, 130 stopped by Ctrl-C.
            """,
        version: PreflightVersion.current,
        subcommands: [Validate.self, Merge.self, Plan.self, PartialIDs.self, CheckIDs.self, SplitPart.self, Schemas.self,
                      Infer.self, Codes.self])
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate files and print a report for each on standard output.",
        discussion: """
            Exit status: the worst over the files: 0 valid, 1 row-level errors only, 2 file-level errors, \
            64 usage error, 66 input cannot be read, 74 an output cannot be written, 130 stopped by Ctrl-C.
            """)

    @Argument(help: """
        The files to check; - reads standard input (then --format is required). .gz is read transparently. \
        A name that starts with - goes after -- (or as ./-name).
        """)
    var files: [String]

    @Option(help: """
        The schema to check against: a built-in one (see `preflight schemas`), or one of those the \
        --schema-file files hold (needed only when they hold several).
        """)
    var schema: String?

    @Option(name: .customLong("schema-file"), help: """
        A schema file (repeatable): preflight's own format, in JSON or YAML (see the README).
        """)
    var schemaFiles: [String] = []

    @Option(help: "Input format: csv, json or ndjson. Default: from the file name (.csv, .tsv, .json, .ndjson, .jsonl).")
    var format: String?

    @Option(help: "CSV field delimiter: one character, or `tab`. Default: tab for .tsv files, else a comma.")
    var delimiter: String?

    @Option(help: """
        Report style: piing (Piing's preflight JSON), productsup (Productsup's batch errors), jumbo (Jumbo's file \
        errors), text (for people), ndjson (every error, one JSON line each). Default: text when standard output \
        is a terminal, else piing.
        """)
    var report: String?

    @Option(parsing: .unconditional, help: "Errors listed in the report (0 = all; default 1000, 20 for text). Counts are always exact.")
    var maxErrors: Int?

    @Option(parsing: .unconditional, help: "Report file_too_large above this many bytes (0 = no limit).")
    var maxFileSize: Int = 100 * 1_048_576

    @Option(parsing: .unconditional, help: "Report too_many_rows above this many data rows (0 = no limit).")
    var maxRows: Int = 1_000_000

    @Option(parsing: .unconditional, help: "Report record_too_large for a line, record or element longer than this many bytes.")
    var lineCap: Int = 2_097_152

    @Flag(help: "Do not report duplicate ids.")
    var noUniqueIds = false

    @Option(help: "Write every row with a row-level error here, as it came in; its errors go to FILE.errors.ndjson.")
    var rejects: String?

    @Option(help: "Write every row without a row-level error here, as it came in.")
    var clean: String?

    @Option(help: "How --rejects/--clean write JSON input: ndjson (one element per line) or json (an array).")
    var splitFormat: String = "ndjson"

    @Flag(help: "No progress bar (it is shown only when standard error is a terminal).")
    var noProgress = false

    @Option(parsing: .unconditional, help: "Worker threads (0 = one per core; more than the cores are capped to the cores).")
    var threads: Int = 0

    @Option(help: """
        Memory the run may hold, like 512M, 2G or 300000000 (bytes); 0 = no limit. Past its share, \
        the duplicate-id check moves ids to scratch files in --temp-dir and checks them there, with \
        the same answer. Default 512M.
        """)
    var memoryLimit: String = "512M"

    @Option(name: .customLong("temp-dir"), help: """
        Where the duplicate-id check keeps scratch files past --memory-limit (a private folder, \
        removed at the end). Default: $TMPDIR, else /tmp.
        """)
    var tempDir: String?

    @Option(help: "CSV engine: prescan (records without quotes split by a byte scan, the rest by libcsv) or libcsv (every record).")
    var csvEngine: String = "prescan"

    @Option(name: .customLong("byte-range"), help: """
        Validate only the rows whose first byte lies in START-END (bytes, END excluded) of one CSV or         NDJSON file, as one shard of a run split by byte ranges, and write --partial; join the         partials with `preflight merge`.
        """)
    var byteRange: String?

    @Option(help: "Where a --byte-range shard writes its partial result (for `preflight merge`).")
    var partial: String?

    @Option(name: .customLong("byte-range-base"), parsing: .unconditional, help: """
        With --byte-range and FILE -: standard input holds the file's bytes from this offset on \
        (for CSV after the header record, which comes first), e.g. an object store's range read; \
        positions stay those of the whole file. At most START - 1 (the byte before a row tells \
        that it starts there).
        """)
    var byteRangeBase: Int?

    @Option(name: .customLong("file-size"), parsing: .unconditional, help: """
        With --byte-range-base: the whole file's size. Standard input must end there when it is read \
        to its end (a range read cut short is an error), and the merge checks the ranges against it.
        """)
    var fileSize: Int?

    @Option(help: "The name the report gives standard input (default: stdin).")
    var name: String?

    @Option(name: .customLong("first-row-at"), parsing: .unconditional, help: """
        With --byte-range: the byte where the shard's first row starts, when known (the merge names         it for a shard whose range began inside a quoted field).
        """)
    var firstRowAt: Int?

    func validate() throws {
        if let maxErrors, maxErrors < 0 { throw ValidationError("--max-errors must be 0 or more") }
        if maxFileSize < 0 { throw ValidationError("--max-file-size must be 0 or more") }
        if maxRows < 0 { throw ValidationError("--max-rows must be 0 or more") }
        if lineCap < 1 { throw ValidationError("--line-cap must be 1 or more") }
        if threads < 0 { throw ValidationError("--threads must be 0 or more") }
        if ValidationOptions.byteCount(memoryLimit) == nil {
            throw ValidationError("--memory-limit takes a size like 512M, 2G or a number of bytes (0 = no limit)")
        }
        if let limit = ValidationOptions.byteCount(memoryLimit), limit > 0, limit < 64 << 20 {
            throw ValidationError("--memory-limit must be at least 64M (or 0 for no limit): the program itself takes about 30 MB")
        }
        if let limit = ValidationOptions.byteCount(memoryLimit),
           let longest = ValidationOptions.longestLineCap(underMemoryLimit: limit), lineCap > longest {
            throw ValidationError("--line-cap \(lineCap) needs read windows that do not fit --memory-limit \(memoryLimit) "
                                  + "(it allows a cap of at most \(longest) bytes): raise --memory-limit or lower --line-cap")
        }
        if CSVEngine(rawValue: csvEngine) == nil {
            throw ValidationError("unknown CSV engine '\(csvEngine)' (available: prescan, libcsv)")
        }
        if let report, ReportStyle(rawValue: report) == nil {
            let names = ReportStyle.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("unknown report style '\(report)' (available: \(names))")
        }
        if splitFormat != "ndjson" && splitFormat != "json" {
            throw ValidationError("unknown --split-format '\(splitFormat)' (available: ndjson, json)")
        }
        if files.count > 1, rejects != nil || clean != nil {
            throw ValidationError("--rejects and --clean take one input file at a time")
        }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        for (option, path) in [("--rejects", rejects), ("--clean", clean)] where path == "-" {
            throw ValidationError("\(option) - is not supported: standard output carries the report; name a file")
        }
        for (option, path) in [("--rejects", rejects), ("--clean", clean)] where path == "" {
            throw ValidationError("\(option) needs a file name")
        }
        if name != nil, !files.contains("-") { throw ValidationError("--name names standard input (-)") }
        if byteRange != nil || partial != nil || firstRowAt != nil || byteRangeBase != nil || fileSize != nil {
            guard let byteRange, Self.range(byteRange) != nil else {
                throw ValidationError("--partial, --first-row-at, --byte-range-base and --file-size go with --byte-range START-END (bytes, START < END)")
            }
            guard partial != nil, partial != "", partial != "-" else { throw ValidationError("--byte-range needs --partial FILE") }
            if files.count != 1 { throw ValidationError("--byte-range takes one file") }
            if (files[0] == "-") != (byteRangeBase != nil) {
                throw ValidationError("--byte-range reads standard input (-) only with --byte-range-base, and --byte-range-base only from it")
            }
            if let byteRangeBase, byteRangeBase < 0 { throw ValidationError("--byte-range-base must be 0 or more") }
            if fileSize != nil, byteRangeBase == nil { throw ValidationError("--file-size goes with --byte-range-base") }
            if let fileSize, let range = Self.range(byteRange), fileSize < range.upperBound {
                throw ValidationError("--file-size \(fileSize) is before the range's end")
            }
            if rejects != nil || clean != nil { throw ValidationError("--byte-range does not take --rejects or --clean") }
            if let firstRowAt, firstRowAt < 0 { throw ValidationError("--first-row-at must be 0 or more") }
        }
    }

    /// "START-END" as a range of bytes (START < END; "0-0" for an empty file).
    static func range(_ text: String) -> Range<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int(parts[0]), let end = Int(parts[1]), start >= 0,
              start < end || (start == 0 && end == 0) else {
            return nil
        }
        return start..<end
    }

    var style: ReportStyle {
        report.flatMap(ReportStyle.init(rawValue:)) ?? (isatty(1) == 1 ? .text : .piing)
    }

    func options(for file: String) throws(CommandFailure) -> ValidationOptions {
        let inputFormat: InputFormat
        if let format {
            guard let chosen = InputFormat(rawValue: format.lowercased()) else {
                throw CommandFailure(message: "unknown format '\(format)' (available: csv, json, ndjson)", status: Exit.usage)
            }
            inputFormat = chosen
        } else if file == "-" {
            throw CommandFailure(message: "reading standard input (-) needs --format csv|json|ndjson", status: Exit.usage)
        } else if let inferred = InputFormat.inferred(fromName: file) {
            inputFormat = inferred
        } else {
            throw CommandFailure(message: "cannot tell the format of '\(file)' from its name; pass --format csv|json|ndjson",
                                 status: Exit.usage)
        }
        var options = ValidationOptions(format: inputFormat)
        options.delimiter = try delimiter.map(Self.delimiterByte) ?? InputFormat.defaultDelimiter(forName: file)
        options.maxErrors = maxErrors ?? (style == .text ? 20 : 1000)
        options.maxFileSize = maxFileSize
        options.maxRows = maxRows
        options.lineCap = lineCap
        options.uniqueIDs = !noUniqueIds
        options.threads = Self.threadCount(threads)
        options.csvEngine = CSVEngine(rawValue: csvEngine) ?? .prescan
        options.mapsFiles = true  // SIGBUS is handled (`Interrupt.install`)
        options.memoryLimit = ValidationOptions.byteCount(memoryLimit) ?? options.memoryLimit
        options.temporaryDirectory = tempDir
        return options
    }

    /// More threads than cores do not help: they only cut the input into smaller pieces.
    static func threadCount(_ asked: Int) -> Int {
        min(asked, ValidationOptions.coreCount)
    }

    static func delimiterByte(_ text: String) throws(CommandFailure) -> UInt8 {
        if text == "tab" || text == "\\t" || text == "\t" { return 0x09 }
        let bytes = Array(text.utf8)
        guard bytes.count == 1, bytes[0] < 0x80, bytes[0] != 0x22, bytes[0] != 0x0A, bytes[0] != 0x0D else {
            throw CommandFailure(message: "--delimiter takes one ASCII character other than a quote or line break, or `tab`",
                                 status: Exit.usage)
        }
        return bytes[0]
    }

    func run() throws {
        // Usage errors (schema, formats, outputs that would overwrite an input) first, for every
        // file, before any output.
        let schema = try SchemaChoice.resolve(name: schema, files: schemaFiles)
        let options = try files.map { (file) throws(CommandFailure) in try self.options(for: file) }
        try OutputSafety.check(inputs: files, rejects: rejects, clean: clean, sidecar: rejects.map(Self.sidecarPath))
        if threads > ValidationOptions.coreCount {
            printError("--threads \(threads) is more than the \(ValidationOptions.coreCount) cores here; using \(ValidationOptions.coreCount)")
        }
        Interrupt.install()
        if let byteRange, let range = Self.range(byteRange), let partial {
            try OutputSafety.check(inputs: files, rejects: nil, clean: nil, sidecar: nil, partial: partial)
            do throws(PreflightError) {
                if let byteRangeBase {
                    try Validator.validateShard(descriptor: 0, base: byteRangeBase, name: name ?? "stdin",
                                                fileSize: fileSize, schema: schema, range: range, firstRowAt: firstRowAt,
                                                options: options[0], partial: partial)
                } else {
                    try Validator.validateShard(path: files[0], schema: schema, range: range, firstRowAt: firstRowAt,
                                                options: options[0], partial: partial)
                }
            } catch {
                if case .notAPartial = error { throw CommandFailure(message: error.description, status: Exit.usage) }
                throw CommandFailure(error)
            }
            return
        }
        var worst: Int32 = 0
        for (file, fileOptions) in zip(files, options) {
            let status: Int32
            do {
                Interrupt.reading(file)
                status = try check(file, schema: schema, options: fileOptions, tagged: files.count > 1)
            } catch let failure as CommandFailure {
                if failure.status == Exit.brokenPipe { throw failure }  // quietly: nobody reads on
                printError(failure.message)
                status = failure.status
            }
            worst = max(worst, status)
            if status == Exit.interrupted { break }
        }
        throw ExitCode(worst)
    }

    /// Validates one file and writes its report; returns its exit status.
    private func check(_ file: String, schema: Schema, options: ValidationOptions, tagged: Bool) throws -> Int32 {
        let style = self.style
        let progress = !noProgress && isatty(2) == 1 ? ProgressBar() : nil
        let report: ValidationReport
        let renderer: ReportRenderer
        let splitter = try makeSplitter(format: options.format ?? .csv)
        do throws(PreflightError) {
            // Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
            let colour = isatty(1) == 1 && (getenv("NO_COLOR").map { $0.pointee == 0 } ?? true)
            renderer = try ReportRenderer(style: style, maxErrors: options.maxErrors, colour: colour,
                                          fileTag: tagged ? file : nil, streamingTo: 1)
            let observers = renderer.observers + (splitter.map { [$0] } ?? [])
            let monitor = InterruptMonitor(progress: progress)
            // The library finishes the observers of a complete run (the stream's held-back lines,
            // the split's files); a stopped run's outputs are dropped with them.
            if file == "-" {
                report = try Preflight.validate(descriptor: 0, name: name ?? "stdin", schema: schema, options: options,
                                                observers: observers, monitor: monitor)
            } else {
                report = try Preflight.validate(file: file, schema: schema, options: options, observers: observers,
                                                monitor: monitor)
            }
        } catch {
            progress?.clear()
            throw CommandFailure(error)
        }
        progress?.clear()
        guard report.isComplete else {
            printError("stopped by Ctrl-C in \(report.file.name) after \(StopSummary.partial(report)); no report written")
            return Exit.interrupted
        }
        do throws(PreflightError) {
            try renderer.write(report, to: 1)
        } catch {
            throw CommandFailure(error)
        }
        // Reports of several files in the text style are set apart by a blank line.
        if style == .text, tagged { try writeOut("\n") }
        return Exit.status(of: report)
    }

    private func makeSplitter(format: InputFormat) throws -> RowSplitter? {
        guard rejects != nil || clean != nil else { return nil }
        let layout: RowSplitter.Layout = format == .json ? (splitFormat == "json" ? .jsonArray : .ndjson) : .asInput
        do {
            return try RowSplitter(rejects: rejects.map(OutputFile.create(path:)), clean: clean.map(OutputFile.create(path:)),
                                   sidecar: rejects.map { try OutputFile.create(path: Self.sidecarPath($0)) },
                                   layout: layout)
        } catch let error as PreflightError {
            throw CommandFailure(error)
        }
    }

    /// Where the errors of the rejected rows go: beside the rejects file.
    static func sidecarPath(_ rejects: String) -> String { rejects + ".errors.ndjson" }
}

extension CommandFailure {
    /// A failure of the library, with its exit status.
    init(_ error: PreflightError) {
        switch error {
        case .cannotWrite(let path, _, let code) where code == EPIPE && path == ReportRenderer.reportName:
            // A closed pipe on standard output ends quietly; on --rejects or --clean it is an error.
            self.init(message: "", status: Exit.brokenPipe)
        case .cannotWrite: self.init(message: error.description, status: Exit.ioError)
        case .cancelled: self.init(message: "stopped", status: Exit.interrupted)
        default:
            self.init(message: error.description, status: error.isInputUnreadable ? Exit.unreadableInput : Exit.software)
        }
    }
}

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the partial results of a file's byte-range shards into the report of one run over the file.",
        discussion: """
            The partials come from `preflight validate FILE --byte-range START-END --partial OUT`, one per \
            range, the ranges covering the file. Rows, lines, too_many_rows, duplicate ids across shards and \
            the file-level checks come out as a single run gives them. Exit status as for validate.
            """)

    @Argument(help: "The partial results, in any order.")
    var partials: [String] = []

    @Option(help: "Report style: piing, productsup, jumbo, text or ndjson (default: text on a terminal, else piing).")
    var report: String?

    @Option(parsing: .unconditional, help: "Errors listed in the report (0 = all; default 1000, 20 for text). Counts are always exact.")
    var maxErrors: Int?

    @Option(help: "Memory the merge may hold (as validate's --memory-limit). Default 512M.")
    var memoryLimit: String = "512M"

    @Option(name: .customLong("temp-dir"), help: "Where the duplicate-id check keeps scratch files. Default: $TMPDIR, else /tmp.")
    var tempDir: String?

    @Option(parsing: .unconditional, help: "Worker threads for the duplicate-id check (0 = one per core).")
    var threads = 0

    @Option(help: """
        Write every row with a row-level error here, as it came in (read from the file, which must be \
        there unchanged); their errors go to FILE.errors.ndjson. As validate's --rejects.
        """)
    var rejects: String?

    @Option(help: "Write every other row here, as it came in (read from the file). As validate's --clean.")
    var clean: String?

    @Option(help: """
        Write only the errors file of --rejects here (the rejected rows' errors and the file-level \
        ones, one JSON line each), without rows: for a split whose rows split-part writes in parts.
        """)
    var rejectsErrors: String?

    @Option(help: """
        A verdicts file of the run's duplicate check (preflight check-ids), one per bucket, every \
        bucket given: duplicates come from them instead of from ids registered here (repeat the option).
        """)
    var idVerdicts: [String] = []

    func validate() throws {
        if partials.isEmpty { throw ValidationError("name the partial results to merge") }
        for (option, path) in [("--rejects", rejects), ("--clean", clean), ("--rejects-errors", rejectsErrors)]
        where path == "-" || path == "" {
            throw ValidationError("\(option) needs a file name (standard output carries the report)")
        }
        if rejectsErrors != nil, rejects != nil {
            throw ValidationError("--rejects writes its errors file itself: give --rejects or --rejects-errors")
        }
        if let maxErrors, maxErrors < 0 { throw ValidationError("--max-errors must be 0 or more") }
        if threads < 0 { throw ValidationError("--threads must be 0 or more") }
        try Merge.checkMemoryLimit(memoryLimit)
        if let report, ReportStyle(rawValue: report) == nil {
            let names = ReportStyle.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("unknown report style '\(report)' (available: \(names))")
        }
    }

    /// `--memory-limit` of the sharded run's commands: a size of at least 64M, or 0.
    static func checkMemoryLimit(_ text: String) throws {
        guard let limit = ValidationOptions.byteCount(text), limit == 0 || limit >= 64 << 20 else {
            throw ValidationError("--memory-limit takes a size of at least 64M, like 512M or 2G (0 = no limit)")
        }
    }

    func run() throws {
        startShardedRun()
        let style: ReportStyle = report.flatMap(ReportStyle.init(rawValue:)) ?? (isatty(1) == 1 ? .text : .piing)
        let maxErrors = self.maxErrors ?? (style == .text ? 20 : 1000)
        // Outputs must not replace the partials or the file they are of.
        let input = PartialMerge.inputPath(ofPartial: partials[0])
        try OutputSafety.check(inputs: partials + idVerdicts + (input.map { [$0] } ?? []), rejects: rejects, clean: clean,
                               sidecar: rejects.map(Validate.sidecarPath) ?? rejectsErrors)
        let report = try shardedRun { () throws(PreflightError) -> ValidationReport in
            let colour = isatty(1) == 1 && (getenv("NO_COLOR").map { $0.pointee == 0 } ?? true)
            let renderer = try ReportRenderer(style: style, maxErrors: maxErrors, colour: colour, streamingTo: 1)
            let splitter = rejects == nil && clean == nil && rejectsErrors == nil ? nil : try RowSplitter(
                rejects: outputFile(rejects), clean: outputFile(clean),
                sidecar: outputFile(rejects.map(Validate.sidecarPath) ?? rejectsErrors), layout: .asInput)
            let report = try PartialMerge.merge(paths: partials, maxErrors: maxErrors,
                                                memoryLimit: ValidationOptions.byteCount(memoryLimit) ?? 512 << 20,
                                                temporaryDirectory: tempDir, threads: Validate.threadCount(threads),
                                                observers: renderer.observers + (splitter.map { [$0] } ?? []),
                                                showsRows: style == .productsup || rejects != nil || clean != nil,
                                                idVerdicts: idVerdicts)
            try renderer.write(report, to: 1)
            return report
        }
        throw ExitCode(Exit.status(of: report))
    }
}

struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a sharded run's plan: where each shard's rows start and how they are numbered.",
        discussion: """
            Checks the partials as merge does (of one file and options, covering it, each shard starting \
            where the rows before it end; a misjudged shard is refused with the command that mends it) \
            and writes the plan to --output, a small JSON file. Given --plan, partial-ids and split-part \
            read their shard's own partial and the plan instead of every partial's trailer. \
            Exit status: 0, or 64/66/74.
            """)

    @Argument(help: "Every partial result of the run, in any order.")
    var partials: [String] = []

    @Option(help: "Where to write the plan.")
    var output: String

    func validate() throws {
        if partials.isEmpty { throw ValidationError("name the run's partial results") }
    }

    func run() throws {
        startShardedRun()
        try OutputSafety.check(inputs: partials, outputs: [("--output " + output, output)])
        try shardedRun { () throws(PreflightError) in
            try PartialMerge.writePlan(paths: partials, output: output)
        }
    }
}

/// The duplicate-id check of a sharded run spread over many processes (a Spark shuffle), in two
/// steps: partial-ids cuts each shard's ids into hash buckets; check-ids checks one bucket.
struct PartialIDs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partial-ids",
        abstract: "Write one shard's ids to hash buckets, for a duplicate check spread over many processes.",
        discussion: """
            Writes DIR/bucket-NNNNN.ids for each of the --buckets buckets: the ids and unique values of the \
            shard whose partial is --shard, numbered in the whole file (all the run's partials are named: \
            they number the rows). Each bucket's files from every shard go to one `preflight check-ids`; \
            the verdicts go to `preflight merge --id-verdicts`. Exit status: 0, or 64/66/74 as validate's.
            """)

    @OptionGroup var numbering: RunNumbering

    @Option(help: "The partial whose ids to write.")
    var shard: String

    @Option(parsing: .unconditional, help: "Buckets to cut the ids into (1 to \(IDExchange.bucketLimit)); every shard must use the same.")
    var buckets: Int

    @Option(help: "The folder to write the buckets' files in (it must exist).")
    var outputDir: String

    @Option(name: .customLong("temp-dir"), help: "Where a shard validated again keeps its partial. Default: $TMPDIR, else /tmp.")
    var tempDir: String?

    func validate() throws {
        try numbering.check()
        if buckets < 1 || buckets > IDExchange.bucketLimit {
            throw ValidationError("--buckets must be 1 to \(IDExchange.bucketLimit)")
        }
    }

    func run() throws {
        startShardedRun()
        try OutputSafety.check(inputs: numbering.inputs + [shard], outputs: (0..<buckets).map { bucket in
            let path = outputDir + "/" + IDExchange.idsFileName(bucket: bucket)
            return ("--output-dir file " + path, path)
        })
        try shardedRun { () throws(PreflightError) in
            try IDExchange.writeBuckets(paths: numbering.partials, plan: numbering.plan, shard: shard, buckets: buckets,
                                        directory: outputDir, temporaryDirectory: tempDir)
        }
    }
}

struct CheckIDs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-ids",
        abstract: "Find the duplicate ids of one bucket of a sharded run (files from preflight partial-ids).",
        discussion: """
            Reads the bucket's ids files, one from each shard, and writes its verdicts (each id or unique \
            value that repeats an earlier row's, with that row) to --output, for `preflight merge \
            --id-verdicts`. Memory stays within --memory-limit: ids past it go to scratch files. \
            Exit status: 0, or 64/66/74 as validate's.
            """)

    @Argument(help: "One bucket's ids files, one from each shard, in any order.")
    var files: [String] = []

    @Option(help: "Where to write the bucket's verdicts.")
    var output: String

    @Option(help: "Memory the check's tables may hold; past it ids go to scratch files (at least 64M, 0 = no limit).")
    var memoryLimit: String = "512M"

    @Option(name: .customLong("temp-dir"), help: "Where the check keeps scratch files. Default: $TMPDIR, else /tmp.")
    var tempDir: String?

    @Option(parsing: .unconditional, help: "Worker threads (0 = one per core).")
    var threads = 0

    func validate() throws {
        if files.isEmpty { throw ValidationError("name the bucket's ids files") }
        if threads < 0 { throw ValidationError("--threads must be 0 or more") }
        try Merge.checkMemoryLimit(memoryLimit)
    }

    func run() throws {
        startShardedRun()
        try OutputSafety.check(inputs: files, outputs: [("--output " + output, output)])
        try shardedRun { () throws(PreflightError) in
            try IDExchange.checkBucket(paths: files, output: output,
                                       memoryLimit: ValidationOptions.byteCount(memoryLimit) ?? 512 << 20,
                                       temporaryDirectory: tempDir, threads: Validate.threadCount(threads))
        }
    }
}

/// How a shard's command (partial-ids, split-part) numbers its rows: from every partial of the
/// run, or from the run's plan.
struct RunNumbering: ParsableArguments {
    @Argument(help: "Every partial result of the run, in any order (or --plan).")
    var partials: [String] = []

    @Option(help: "The run's plan (preflight plan), instead of every partial: the shard's own partial is then all it reads.")
    var plan: String?

    /// Every file named, for the outputs not to replace.
    var inputs: [String] { partials + (plan.map { [$0] } ?? []) }

    func check() throws {
        if partials.isEmpty, plan == nil { throw ValidationError("name the run's partial results, or its --plan") }
        if !partials.isEmpty, plan != nil { throw ValidationError("give the run's partial results or its --plan, not both") }
    }
}

struct SplitPart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split-part",
        abstract: "Write one shard's part of the rejects/clean split of a sharded run.",
        discussion: """
            Writes the rows of the shard whose partial is --shard to --rejects (those with a row-level \
            error) and --clean (the others), as they came in, read from the file (there, unchanged). \
            The parts of every shard joined in range order are the files `validate --rejects --clean` \
            writes; the errors file comes from `preflight merge --rejects-errors`. Duplicates across \
            shards come from the run's verdicts (--id-verdicts, every bucket). Exit status: 0, or 64/66/74.
            """)

    @OptionGroup var numbering: RunNumbering

    @Option(help: "The partial whose rows to write.")
    var shard: String

    @Option(help: "A verdicts file of the run's duplicate check, one per bucket (repeat the option).")
    var idVerdicts: [String] = []

    @Option(help: "Write the shard's rows with a row-level error here.")
    var rejects: String?

    @Option(help: "Write the shard's other rows here.")
    var clean: String?

    @Option(name: .customLong("temp-dir"), help: "Where scratch files go. Default: $TMPDIR, else /tmp.")
    var tempDir: String?

    func validate() throws {
        try numbering.check()
        if rejects == nil, clean == nil { throw ValidationError("give --rejects, --clean or both") }
        for (option, path) in [("--rejects", rejects), ("--clean", clean)] where path == "-" || path == "" {
            throw ValidationError("\(option) needs a file name")
        }
    }

    func run() throws {
        startShardedRun()
        let input = PartialMerge.inputPath(ofPartial: shard)
        try OutputSafety.check(inputs: numbering.inputs + [shard] + idVerdicts + (input.map { [$0] } ?? []),
                               outputs: [("--rejects " + (rejects ?? ""), rejects), ("--clean " + (clean ?? ""), clean)])
        try shardedRun { () throws(PreflightError) in
            try PartialMerge.writeSplitPart(paths: numbering.partials, plan: numbering.plan, shard: shard, idVerdicts: idVerdicts,
                                            rejects: outputFile(rejects), clean: outputFile(clean), temporaryDirectory: tempDir)
        }
    }
}

/// Creates the output at `path`, if one is named.
func outputFile(_ path: String?) throws(PreflightError) -> OutputFile? {
    guard let path else { return nil }
    return try OutputFile.create(path: path)
}

/// The start of a sharded run's command (merge, plan, partial-ids, check-ids, split-part):
/// Ctrl-C and SIGTERM remove the scratch files and temporary outputs, and open files may be many.
func startShardedRun() {
    Interrupt.install()
    raiseOpenFileLimit()
}

/// Runs a sharded run's command's work: its errors are one line each, files that are not what
/// they should be a usage error (64).
func shardedRun<T>(_ body: () throws(PreflightError) -> T) throws(CommandFailure) -> T {
    do throws(PreflightError) {
        return try body()
    } catch {
        throw CommandFailure(shardedRunError: error)
    }
}

/// A sharded run's commands hold a file per bucket or per shard open at once (up to
/// `IDExchange.bucketLimit`): the soft limit on open files (often 1,024) is raised to the hard one.
func raiseOpenFileLimit() {
    var limit = rlimit()
    #if canImport(Glibc)
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    let resource = RLIMIT_NOFILE
    #endif
    guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(resource, &limit)
}

extension CommandFailure {
    /// A sharded run's error: files that are not what they should be are usage errors (64).
    init(shardedRunError error: PreflightError) {
        if case .notAPartial = error {
            self.init(message: error.description, status: Exit.usage)
        } else {
            self.init(error)
        }
    }
}

struct Schemas: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the built-in schemas and those of --schema-file files.",
        discussion: """
            --as piing prints them shaped like Piing's GET /api/external/schemas response (the default when \
            standard output is not a terminal); --as table as a table for people (the default on a terminal); \
            --as preflight in preflight's own schema format, which --schema-file reads back.
            """)

    @Option(name: .customLong("schema-file"), help: "A schema file whose schemas are listed too (repeatable).")
    var schemaFiles: [String] = []

    @Option(name: .customLong("as"), help: """
        piing (Piing's schema listing), table (for people) or preflight (preflight's schema format). \
        Default: table on a terminal, else piing.
        """)
    var shape: String?

    func validate() throws {
        if let shape, !["piing", "table", "preflight"].contains(shape) {
            throw ValidationError("unknown --as '\(shape)' (available: piing, table, preflight)")
        }
    }

    func run() throws {
        var loaded: [Schema] = []
        for file in schemaFiles { loaded += try SchemaChoice.load(file) }
        // A loaded schema with a built-in's name is listed in its place.
        let schemas = Schema.builtIn.filter { builtIn in !loaded.contains { $0.name == builtIn.name } } + loaded
        switch shape ?? (isatty(1) == 1 ? "table" : "piing") {
        case "preflight": try writeOut(PreflightSchemaFormat.text(of: schemas))
        case "table": try writeOut(SchemaCatalog.table(schemas))
        default: try writeOut(SchemaCatalog.render(schemas) + "\n")
        }
    }
}

struct Codes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every error and notice code with its level, an example message and when it occurs.")

    @Option(name: .customLong("as"), help: "markdown (the README's table) or json.")
    var shape: String = "markdown"

    func validate() throws {
        if shape != "markdown" && shape != "json" { throw ValidationError("unknown --as '\(shape)' (available: markdown, json)") }
    }

    func run() throws {
        if shape == "markdown" {
            try writeOut(IssueCode.markdownTable() + "\n")
            return
        }
        try writeOut(IssueCode.jsonCatalogue() + "\n")
    }
}

struct Infer: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Propose a schema (preflight's format) from a sample of a file.",
        discussion: """
            Each column gets the narrowest type all its sampled values have, required when no sampled row \
            leaves it empty, an enum when it is text of few distinct values, and the first required column \
            whose sampled values never repeat becomes the id. Save it, edit it, and pass it to \
            validate --schema-file.
            """)

    @Argument(help: "The file to sample (plain, not gzip).")
    var file: String

    @Option(help: "Input format: csv, json or ndjson. Default: from the file name.")
    var format: String?

    @Option(help: "CSV field delimiter: one character, or `tab`. Default: tab for .tsv files, else a comma.")
    var delimiter: String?

    @Option(parsing: .unconditional, help: "Rows sampled (0 = all).")
    var sampleRows: Int = 100_000

    func validate() throws {
        if sampleRows < 0 { throw ValidationError("--sample-rows must be 0 or more") }
    }

    func run() throws {
        let inputFormat: InputFormat
        if let format {
            guard let chosen = InputFormat(rawValue: format.lowercased()) else {
                throw CommandFailure(message: "unknown format '\(format)' (available: csv, json, ndjson)", status: Exit.usage)
            }
            inputFormat = chosen
        } else if let inferred = InputFormat.inferred(fromName: file) {
            inputFormat = inferred
        } else {
            throw CommandFailure(message: "cannot tell the format of '\(file)' from its name; pass --format csv|json|ndjson",
                                 status: Exit.usage)
        }
        var options = SchemaInference.Options(format: inputFormat)
        options.delimiter = try delimiter.map(Validate.delimiterByte) ?? InputFormat.defaultDelimiter(forName: file)
        options.sampleRows = sampleRows
        do {
            let schema = try SchemaInference.infer(path: file, options: options)
            try writeOut(PreflightSchemaFormat.text(of: [schema]))
        } catch let error as PreflightError {
            throw CommandFailure(error)
        }
    }
}

/// The schema a run uses: a built-in one by name, or one from the schema files.
enum SchemaChoice {
    static func load(_ file: String) throws(CommandFailure) -> [Schema] {
        do {
            return try SchemaFile.load(path: file)
        } catch {
            throw CommandFailure(message: error.description, status: Exit.usage)
        }
    }

    static func resolve(name: String?, files: [String]) throws(CommandFailure) -> Schema {
        guard !files.isEmpty else {
            guard let name else {
                throw CommandFailure(message: "name a schema: --schema NAME (see preflight schemas) or --schema-file FILE",
                                     status: Exit.usage)
            }
            guard let schema = Schema.named(name) else {
                let names = Schema.builtIn.map(\.name).joined(separator: ", ")
                throw CommandFailure(message: "unknown schema '\(name)' (available: \(names))", status: Exit.usage)
            }
            return schema
        }
        var loaded: [Schema] = []
        for file in files { loaded += try load(file) }
        let names = loaded.map(\.name).joined(separator: ", ")
        if let name {
            guard let schema = loaded.first(where: { $0.name == name }) else {
                throw CommandFailure(message: "no schema named '\(name)' in \(files.joined(separator: ", ")) (they hold: \(names))",
                                     status: Exit.usage)
            }
            return schema
        }
        guard loaded.count == 1 else {
            throw CommandFailure(message: "\(files.joined(separator: ", ")) hold several schemas (\(names)); pick one with --schema NAME",
                                 status: Exit.usage)
        }
        return loaded[0]
    }
}

/// Writes all of `text` to standard output, or fails with one clear line (a full disk, a closed
/// pipe): a report cut short must not pass for a complete one.
func writeOut(_ text: String) throws(CommandFailure) {
    let output = OutputFile(descriptor: 1, path: ReportRenderer.reportName)
    do throws(PreflightError) {
        try output.write(text)
        try output.flush()
    } catch {
        throw CommandFailure(error)
    }
}

/// One line on standard error, prefixed with the tool's name.
func printError(_ message: String) {
    let line = "preflight: " + message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

/// Ends the process the way a closed pipe ends grep or jq: by SIGPIPE, with nothing on stderr.
/// Outputs written through temporary files were removed when their run ended.
func endByBrokenPipe() -> Never {
    signal(SIGPIPE, SIG_DFL)
    raise(SIGPIPE)
    exit(Exit.brokenPipe)
}

// One line on stderr for every failure, never a stack trace (SPEC §7).
// A closed pipe is seen as an error of write(2), so the run can end cleanly (temporary outputs
// removed) before the process ends by SIGPIPE.
signal(SIGPIPE, SIG_IGN)
let arguments = Array(CommandLine.arguments.dropFirst())
if let problem = CommandLineCheck.problem(in: arguments) {
    printError(problem)
    exit(Exit.usage)
}
do {
    var command = try PreflightCommand.parseAsRoot(arguments)
    try command.run()
} catch let failure as CommandFailure {
    if failure.status == Exit.brokenPipe { endByBrokenPipe() }
    printError(failure.message)
    exit(failure.status)
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let status = PreflightCommand.exitCode(for: error)
    if status == .success {
        // Only an explicit --help, -h, help or --version ends with status 0: anything else that
        // validated nothing must not pass a CI gate.
        guard CommandLineCheck.asksForHelp(arguments) else {
            printError("nothing to do: name a command (validate, schemas); see preflight --help")
            exit(Exit.usage)
        }
        do {
            try writeOut(PreflightCommand.fullMessage(for: error) + "\n")
        } catch {
            if error.status == Exit.brokenPipe { endByBrokenPipe() }
            printError(error.message)
            exit(error.status)
        }
        exit(0)
    }
    let message = PreflightCommand.message(for: error)
        .split(separator: "\n").first.map(String.init) ?? "invalid arguments"
    printError(message)
    exit(status == .validationFailure ? Exit.usage : status.rawValue)
}
