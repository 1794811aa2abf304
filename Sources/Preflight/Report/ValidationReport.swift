/// The input format.
public enum InputFormat: String, Sendable, CaseIterable {
    case csv, json, ndjson

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

/// The outcome of validating one file: counts, the listed errors and the notices.
public struct ValidationReport: Sendable {
    public enum Status: String, Sendable {
        /// Nothing wrong.
        case valid
        /// Row-level errors only: the platform accepts the file and rejects those rows.
        case warnings
        /// At least one file-level error: the platform rejects the file.
        case failed
    }

    /// The file as the report names it.
    public struct File: Sendable, Equatable {
        public let name: String
        public let format: InputFormat
        public let sizeBytes: Int
        public let schemaType: String
    }

    public let file: File
    /// Data rows (CSV records after the header, JSON elements, NDJSON lines).
    public let totalRows: Int
    /// Rows that went through the row checks (0 when the file could not be read as a whole).
    public let validatedRows: Int
    /// Rows with at least one row-level error.
    public let invalidRows: Int
    /// The first `maxErrors` errors in (row, column) order.
    public let errors: [ValidationIssue]
    /// Every error counted by code, file-level ones included.
    public let errorCounts: [String: Int]
    public let totalErrors: Int
    public let fileLevelErrors: Int
    public let notices: [Notice]
    /// False when the run was stopped before the end (Ctrl-C): counts cover the rows read until then.
    public let isComplete: Bool
    /// Where the run's time went (zero for what a run did not do).
    public var stages = StageTimes()

    public var validRows: Int { totalRows - invalidRows }

    public var status: Status {
        if fileLevelErrors > 0 { return .failed }
        return totalErrors > 0 ? .warnings : .valid
    }

    /// SPEC §7: 0 valid, 1 row-level errors only, 2 file-level errors.
    public var exitCode: Int32 {
        switch status {
        case .valid: return 0
        case .warnings: return 1
        case .failed: return 2
        }
    }
}
