/// The input format.
public enum InputFormat: String, Sendable, CaseIterable, Codable {
    /// Delimited text whose first record is the header: a comma by default, a tab for `.tsv` names
    /// (see ``ValidationOptions/delimiter``).
    case csv
    /// One JSON document whose rows are an array of objects: at the top, or under the first of the
    /// members `data`, `records`, `items`, `rows` that holds an array.
    case json
    /// Newline-delimited JSON: one object per line (`.ndjson`, `.jsonl`).
    case ndjson

    /// The format a file name implies: `.csv` or `.tsv`, `.json`, `.ndjson` or `.jsonl` (after an optional `.gz`).
    public static func inferred(fromName name: String) -> InputFormat? {
        let lowered = plainName(name)
        if lowered.hasSuffix(".csv") || lowered.hasSuffix(".tsv") { return .csv }
        if lowered.hasSuffix(".json") { return .json }
        if lowered.hasSuffix(".ndjson") || lowered.hasSuffix(".jsonl") { return .ndjson }
        return nil
    }

    /// The CSV delimiter a name implies: a tab for `.tsv` (and `.tsv.gz`), else a comma.
    public static func defaultDelimiter(forName name: String) -> UInt8 {
        plainName(name).hasSuffix(".tsv") ? 0x09 : UInt8(ascii: ",")
    }

    /// The name in lower case, without a trailing `.gz`.
    private static func plainName(_ name: String) -> String {
        let lowered = name.lowercased()
        return lowered.hasSuffix(".gz") ? String(lowered.dropLast(3)) : lowered
    }
}

/// The outcome of validating one input: its counts, the errors listed (the first
/// ``ValidationOptions/maxErrors`` in row and column order), every error counted by code, and the
/// notices. Render it in a platform's shape with ``ReportStyle``.
///
/// Two reports are equal when they say the same: ``stages`` and ``seconds`` (timings) are not
/// compared, and neither is each error's ``ValidationIssue/value``. A report decoded from Piing's
/// JSON (``ReportStyle/decodePiing(_:)``) therefore equals the report that was rendered.
public struct ValidationReport: Sendable, Codable, Equatable {
    /// What the report says of the input as a whole.
    public enum Status: String, Sendable, Codable {
        /// Nothing wrong.
        case valid
        /// Row-level errors only: the platform accepts the file and rejects those rows.
        case warnings
        /// At least one file-level error: the platform rejects the file.
        case failed
    }

    /// The input as the report names it.
    public struct File: Sendable, Equatable, Codable {
        /// The file's name (its last path component), or the name given with the bytes.
        public let name: String
        /// The format the input was validated as.
        public let format: InputFormat
        /// Bytes validated, after decompression.
        public let sizeBytes: Int
        /// The schema's name.
        public let schemaType: String

        /// An input description of your own (a test's, a report built by hand); the engine makes its own.
        public init(name: String, format: InputFormat, sizeBytes: Int, schemaType: String) {
            self.name = name
            self.format = format
            self.sizeBytes = sizeBytes
            self.schemaType = schemaType
        }
    }

    /// The input the report is about.
    public let file: File
    /// Data rows (CSV records after the header, JSON elements, NDJSON lines).
    public let totalRows: Int
    /// Rows that went through the row checks (0 when the file could not be read as a whole).
    public let validatedRows: Int
    /// Rows with at least one row-level error.
    public let invalidRows: Int
    /// The first ``ValidationOptions/maxErrors`` errors in (row, column) order.
    public let errors: [ValidationIssue]
    /// Every error counted by code, file-level ones included.
    public let errorCounts: [String: Int]
    /// Every error, listed or not.
    public let totalErrors: Int
    /// Errors that concern the whole file (any makes the status ``Status/failed``).
    public let fileLevelErrors: Int
    /// What is worth knowing but does not change ``status``: a byte order mark, columns the schema
    /// does not know, mixed line endings.
    public let notices: [Notice]
    /// False when the run was stopped before the end (a monitor asked it to): counts cover the
    /// rows read until then.
    public internal(set) var isComplete: Bool
    /// Where the run's time went (zero for what a run did not do).
    public var stages = StageTimes()
    /// The run's wall time in seconds (the `text` style shows it with the throughput).
    public var seconds = 0.0

    /// A report of your own (a test's, one rebuilt from stored counts); the engine makes its own.
    /// The counts are taken as given, ``status`` follows from them, and ``stages`` and ``seconds``
    /// start at zero.
    public init(file: File, totalRows: Int, validatedRows: Int, invalidRows: Int, errors: [ValidationIssue],
                errorCounts: [String: Int], totalErrors: Int, fileLevelErrors: Int, notices: [Notice],
                isComplete: Bool) {
        self.file = file
        self.totalRows = totalRows
        self.validatedRows = validatedRows
        self.invalidRows = invalidRows
        self.errors = errors
        self.errorCounts = errorCounts
        self.totalErrors = totalErrors
        self.fileLevelErrors = fileLevelErrors
        self.notices = notices
        self.isComplete = isComplete
    }

    /// Rows without a row-level error.
    public var validRows: Int { totalRows - invalidRows }

    /// ``Status/failed`` when any error concerns the whole file, ``Status/warnings`` when there are
    /// only row-level errors, ``Status/valid`` when there are none.
    public var status: Status {
        if fileLevelErrors > 0 { return .failed }
        return totalErrors > 0 ? .warnings : .valid
    }

    /// Equal when they say the same; timings aside.
    public static func == (left: ValidationReport, right: ValidationReport) -> Bool {
        left.file == right.file && left.totalRows == right.totalRows && left.validatedRows == right.validatedRows
            && left.invalidRows == right.invalidRows && left.errors == right.errors
            && left.errorCounts == right.errorCounts && left.totalErrors == right.totalErrors
            && left.fileLevelErrors == right.fileLevelErrors && left.notices == right.notices
            && left.isComplete == right.isComplete
    }
}
