/// Splits the input's rows into a rejects file (every row with a row-level error) and a clean
/// file (every other row), byte for byte as they came in (SPEC §8); a sidecar beside the rejects
/// gives their errors, one JSON line each, and the file-level errors.
///
/// CSV keeps the header in both files. A JSON array's elements are written as NDJSON (one
/// element per line, its whitespace outside strings removed), or as a JSON array of the elements
/// as written. If the run voids its rows (a JSON syntax error, an input of only whitespace), both
/// files are emptied (a CSV header is not written again: only a header of whitespace can be voided)
/// and the sidecar holds the file-level error.
public final class RowSplitter: RowObserver {
    /// How rows are written.
    public enum Layout: Sendable {
        /// As they came in (CSV records, NDJSON lines).
        case asInput
        /// JSON elements, one per line, whitespace outside strings removed.
        case ndjson
        /// JSON elements as written, in an array.
        case jsonArray
    }

    private let rejects: OutputFile?
    private let clean: OutputFile?
    private let sidecar: OutputFile?
    private let layout: Layout
    /// Where the current row goes, and what it carries.
    private var target: OutputFile?
    private var rowIssues: ArraySlice<ValidationIssue> = []
    private var compactor = JSONCompactor()

    /// Whether `finish` has run (it runs once).
    private var finished = false
    /// Rows written to each file.
    public private(set) var rejectedRows = 0
    /// Rows without a row-level error, sent to the clean file (counted even when there is none).
    public private(set) var cleanRows = 0

    /// The layout the input format implies: NDJSON for JSON input, else as it came.
    public static func defaultLayout(for format: InputFormat) -> Layout {
        format == .json ? .ndjson : .asInput
    }

    /// A splitter that writes rejected rows to `rejects`, the others to `clean` and the errors to
    /// `sidecar`; what would go to a nil file is not written. ``finish()`` commits the files. For
    /// ``Layout/jsonArray`` it writes each array's opening `[` at once, and throws if that fails.
    public init(rejects: OutputFile?, clean: OutputFile?, sidecar: OutputFile?, layout: Layout) throws(PreflightError) {
        self.rejects = rejects
        self.clean = clean
        self.sidecar = sidecar
        self.layout = layout
        try start()
    }

    private func start() throws(PreflightError) {
        if layout == .jsonArray {
            for file in [rejects, clean].compactMap({ $0 }) { try file.write("[") }
        }
    }

    public func header(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        try rejects?.write(bytes)
        try clean?.write(bytes)
    }

    public func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) throws(PreflightError) {
        let rejected = issues.contains { !$0.isFileLevel }
        if rejected { rejectedRows += 1 } else { cleanRows += 1 }
        target = rejected ? rejects : clean
        rowIssues = issues  // a clean row's are file-level (too_many_rows)
        guard let target else { return }
        switch layout {
        case .asInput: break
        case .ndjson: compactor = JSONCompactor()
        case .jsonArray:
            let count = rejected ? rejectedRows : cleanRows
            try target.write(count == 1 ? "\n" : ",\n")
        }
    }

    public func rowBytes(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        guard let target else { return }
        switch layout {
        case .asInput, .jsonArray: try target.write(bytes)
        case .ndjson: try compactor.write(bytes, to: target)
        }
    }

    /// Ends the row: a line break after a JSON element written as NDJSON, and the row's errors (a
    /// clean row's `too_many_rows` included) to the sidecar, one JSON line each.
    public func endRow() throws(PreflightError) {
        if let target, layout == .ndjson { try target.write(byte: 0x0A) }
        for issue in rowIssues { try sidecar?.write(ErrorLine.render(issue, file: nil)) }
        target = nil
        rowIssues = []
    }

    public func fileIssue(_ issue: ValidationIssue) throws(PreflightError) {
        try sidecar?.write(ErrorLine.render(issue, file: nil))
    }

    public func discardRows() throws(PreflightError) {
        for file in [rejects, clean, sidecar].compactMap({ $0 }) { try file.truncate() }
        rejectedRows = 0
        cleanRows = 0
        try start()
    }

    /// Closes the JSON arrays, writes everything out and puts the files in place
    /// (`OutputFile.commit()`); call once the run has ended complete. A splitter that goes away
    /// without it (a stopped or failed run) leaves the files at the given paths as they were.
    public func finish() throws(PreflightError) {
        // The library finishes observers of a complete run; a caller may too: once is enough.
        guard !finished else { return }
        finished = true
        if layout == .jsonArray {
            if let rejects { try rejects.write(rejectedRows == 0 ? "]\n" : "\n]\n") }
            if let clean { try clean.write(cleanRows == 0 ? "]\n" : "\n]\n") }
        }
        for file in [rejects, clean, sidecar].compactMap({ $0 }) { try file.commit() }
    }
}

/// Copies JSON text without the whitespace outside strings, piece by piece (an element longer
/// than the read window comes in several).
struct JSONCompactor {
    private var inString = false
    private var escaped = false

    mutating func write(_ bytes: UnsafeRawBufferPointer, to output: OutputFile) throws(PreflightError) {
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
                continue
            }
            if byte == 0x22 {
                inString = true
            } else if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
                if index > runStart { try output.write(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])) }
                runStart = index + 1
            }
        }
        if bytes.count > runStart { try output.write(UnsafeRawBufferPointer(rebasing: bytes[runStart...])) }
    }
}
