/// How to validate: the schema, the format and the limits of SPEC §5.
public struct ValidationOptions: Sendable {
    public var schema: Schema
    public var format: InputFormat
    /// CSV field delimiter (one byte: `,` `;` tab `|` …).
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Errors listed in a report (0 = all). Counts are always exact.
    public var maxErrors = 1000
    /// `file_too_large` above this many bytes, measured after decompression (0 = no limit).
    public var maxFileSize = 100 * 1_048_576
    /// `too_many_rows` above this many data rows (0 = no limit).
    public var maxRows = 1_000_000
    /// `record_too_large` for a line, record or element longer than this many bytes.
    public var recordCap = 2_097_152
    /// Report `duplicate_id` for repeated ids.
    public var checksUniqueIDs = true
    /// Worker threads (0 = one per core). At most `maxThreads` are used.
    public var threads = 0
    /// How CSV records are split into fields.
    public var csvEngine = CSVEngine.prescan
    /// Bytes read and checked per window (memory stays near this, times two for the JSON-free
    /// formats). Raised to fit at least one record of `recordCap` bytes.
    public var windowSize = 64 * 1_048_576
    /// Map regular files (not gzip) instead of reading them into a window: no copy and no fresh
    /// memory per window. Off by default in the library: a file cut short by another process while
    /// it is mapped raises SIGBUS, which only the program can decide how to handle (the
    /// `preflight` command turns this on and ends with a one-line error and exit status 66).
    public var mapsFiles = false

    /// Whether rows go to observers (set by the validator): chunks then keep every error and
    /// every row's bytes.
    var tracksRows = false

    /// The number of online cores.
    public static var coreCount: Int { Parallel.coreCount }

    /// The most workers a run uses, whatever `threads` asks for: each worker costs memory, and
    /// more workers than cores only cut the input into smaller pieces.
    public static var maxThreads: Int { max(64, Parallel.coreCount) }

    /// The thread count to use.
    var effectiveThreads: Int { min(threads > 0 ? threads : Parallel.coreCount, Self.maxThreads) }
    /// The window size to use: large enough for a record at the cap, its line break and more.
    var effectiveWindowSize: Int { max(windowSize, recordCap + 4096) }

    public init(schema: Schema, format: InputFormat) {
        self.schema = schema
        self.format = format
    }
}
