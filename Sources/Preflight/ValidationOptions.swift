/// How to validate: the input's format, the limits a platform sets, and how much of the machine
/// to use. Every property has the default the platforms use, so `ValidationOptions()` is a
/// sensible start:
///
/// ```swift
/// var options = ValidationOptions()
/// options.maxErrors = 0        // list every error, not the first 1000
/// options.maxRows = 0          // no row limit
/// ```
public struct ValidationOptions: Sendable {
    /// The input's format; `nil` tells it from the input's name (`.csv` or `.tsv`, `.json`,
    /// `.ndjson` or `.jsonl`, each optionally followed by `.gz`).
    public var format: InputFormat?
    /// The CSV field delimiter, one ASCII byte (`,` `;` tab `|` …); `nil`: a tab for `.tsv` names,
    /// else a comma.
    public var delimiter: UInt8?
    /// How many errors a report lists (0 = all). Counts are always exact.
    public var maxErrors = 1000
    /// `file_too_large` above this many bytes, measured after decompression (0 = no limit).
    public var maxFileSize = 100 * 1_048_576
    /// `too_many_rows` above this many data rows (0 = no limit); counting goes on past it.
    public var maxRows = 1_000_000
    /// `record_too_large` for a line (NDJSON), record (CSV) or element (JSON) longer than this many
    /// bytes; exactly this many is fine. The command line's `--line-cap`.
    public var lineCap = 2_097_152
    /// Report `duplicate_id` for a repeated id (the command line's `--no-unique-ids` turns it off).
    public var uniqueIDs = true
    /// Worker threads (0 = one per core). At most ``maxThreads`` are used.
    public var threads = 0
    /// Bytes the run may hold (0 = no limit; the command line's `--memory-limit`, which takes at
    /// least 64 MiB: the command-line program alone is about 21 MB resident). The read window is sized from it, and
    /// the duplicate-id check keeps at most its share in memory: ids past that go to scratch
    /// files in ``temporaryDirectory`` and are checked there at the end, with the same answer.
    /// With observers, the rows from the first such id on are held back and read again once every
    /// answer is known (a file or bytes from that row; a stream from a scratch copy made as it
    /// was read), so observers get exactly the calls of a run without a limit. A JSON wrapper
    /// object that cannot stream (read from a descriptor or a stream, names written with escapes,
    /// over 64 MiB outside its array) is read whole whatever the limit.
    public var memoryLimit = 512 << 20
    /// Where the duplicate-id check past ``memoryLimit`` keeps its scratch files (a private folder
    /// made inside, removed at the end); nil: `$TMPDIR`, else `/tmp`. The command line's `--temp-dir`.
    public var temporaryDirectory: String?
    /// Map regular files (not gzip) instead of reading them into a window: no copy and no fresh
    /// memory per window. Off by default in the library: a file cut short by another process while
    /// it is mapped raises SIGBUS, which only the program can decide how to handle (the
    /// `preflight` command turns this on and ends with a one-line error and exit status 66).
    public var mapsFiles = false
    /// How CSV records are split into fields; the report is the same either way. For measuring.
    @_spi(Tuning) public var csvEngine = CSVEngine.prescan
    /// Bytes read and checked per window (memory stays near this). Raised to fit at least one
    /// record of ``lineCap`` bytes; the report is the same for any size. For measuring and tests.
    @_spi(Tuning) public var windowSize = 64 * 1_048_576

    /// The schema the rows are checked against (set by ``Preflight``'s functions).
    var schema: Schema
    /// Whether rows go to observers (set by the validator): chunks then keep every error and
    /// every row's bytes.
    var tracksRows = false
    /// Whether every id stays in memory whatever the limit (a JSON document read whole, whose
    /// rows cannot be read again for observers).
    var idsStayInMemory = false

    /// Options with the platforms' defaults; `format`: the input's format, when its name does not
    /// tell it.
    public init(format: InputFormat? = nil) {
        self.format = format
        schema = Schema(name: "", columns: [], idColumns: [])
    }

    /// Options for a schema and format (the engine's own callers and tests).
    @_spi(Tuning) public init(schema: Schema, format: InputFormat) {
        self.format = format
        self.schema = schema
    }

    /// The number of online cores.
    public static var coreCount: Int { Parallel.coreCount }

    /// The most workers a run uses, whatever ``threads`` asks for: each worker costs memory, and
    /// more workers than cores only cut the input into smaller pieces.
    public static var maxThreads: Int { max(64, Parallel.coreCount) }

    /// These options for `schema` and an input named `name`, the format and delimiter told from
    /// the name where they are not set.
    func resolved(schema: Schema, name: String) throws(PreflightError) -> ValidationOptions {
        var options = self
        options.schema = schema
        if options.format == nil {
            guard let inferred = InputFormat.inferred(fromName: name) else { throw .unknownFormat(name: name) }
            options.format = inferred
        }
        if options.delimiter == nil { options.delimiter = InputFormat.defaultDelimiter(forName: name) }
        return options
    }

    /// The format to read (known once resolved).
    var inputFormat: InputFormat { format ?? .csv }
    /// The CSV delimiter to use (known once resolved).
    var fieldDelimiter: UInt8 { delimiter ?? UInt8(ascii: ",") }
    /// The thread count to use.
    var effectiveThreads: Int { min(threads > 0 ? threads : Parallel.coreCount, Self.maxThreads) }
    /// The window size to use: within a sixteenth of the memory limit (at least 1 MiB), and large
    /// enough for a record at the cap, its line break and more.
    var effectiveWindowSize: Int {
        let limited = memoryLimit > 0 ? min(windowSize, max(memoryLimit / 16, 1 << 20)) : windowSize
        return max(limited, lineCap + 4096)
    }

    /// Bytes the duplicate-id check may keep in memory before it spills (nil: no limit): what the
    /// limit leaves after the windows and 40 MiB for the program (its code and libraries take
    /// about 21 MB resident, a debug build more; the error list and buffers the rest); at least a
    /// sixteenth of the limit. Five windows: the read window, and the chunk results of two windows
    /// (each row's line and ids, kept and recycled per worker) come to about four more, as
    /// measured. With observers, rows past the first id that spills are read again (`ReplayPoint`).
    var idMemoryBudget: Int? {
        guard memoryLimit > 0, !idsStayInMemory else { return nil }
        return max(memoryLimit - 5 * effectiveWindowSize - (40 << 20), memoryLimit / 16)
    }

    /// The longest `lineCap` whose read windows still fit `memoryLimit` (nil: no limit): a window
    /// holds a record at the cap, and the run keeps about five windows and 40 MiB besides the id
    /// tables' sixteenth of the limit (see `idMemoryBudget`).
    @_spi(CommandLine) public static func longestLineCap(underMemoryLimit limit: Int) -> Int? {
        guard limit > 0 else { return nil }
        return max(0, (limit - (40 << 20) - limit / 16) / 5 - 4096)
    }

    /// "512M", "512MB", "2G", "64K", "300000000" (binary units: M is 2^20 bytes); nil otherwise.
    @_spi(CommandLine) public static func byteCount(_ text: String) -> Int? {
        var digits = Substring(text.uppercased())
        if digits.count > 2, digits.hasSuffix("B") { digits = digits.dropLast() }  // "512MB"
        let scales: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        let scale = digits.last.flatMap { scales[$0] } ?? 1
        if scale > 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }), let value = Int(digits) else { return nil }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }
}
