/// The `ndjson` report style: every error as one JSON line, uncapped, written as rows are
/// validated, in row order. Lines are held back (in a temporary file, not in memory) while they
/// may still be void: for JSON input until the end (a syntax error anywhere voids every row), for
/// CSV and NDJSON until the first row or header with something other than whitespace (an input of
/// only whitespace is `empty_payload` alone). File-level errors known only at the end
/// (`file_too_large`, `empty_payload`) come last.
final class ErrorStream: RowObserver {
    private let output: OutputFile
    private let fileTag: String?
    /// JSON input: lines wait for the end (set when the run begins).
    private var holdsUntilEnd = false
    private var heldBack: OutputFile?
    private var sawContent = false
    private var rowIssues: ArraySlice<ValidationIssue> = []
    private var rowIsBlank = true

    /// `fileTag`: the file name to put on every line (several files in one call).
    init(output: OutputFile, fileTag: String?) throws(PreflightError) {
        self.output = output
        self.fileTag = fileTag
        heldBack = try OutputFile.temporary()
    }

    func begin(format: InputFormat, name: String) throws(PreflightError) {
        holdsUntilEnd = format == .json
    }

    func header(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        try noteContent(bytes)
    }

    func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) throws(PreflightError) {
        rowIssues = issues
        rowIsBlank = true
    }

    func rowBytes(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        if !sawContent, rowIsBlank, !Bytes.isWhitespace(bytes) { rowIsBlank = false }
    }

    func endRow() throws(PreflightError) {
        if !rowIsBlank { try noteContent(nil) }
        for issue in rowIssues { try write(issue) }
        rowIssues = []
    }

    func fileIssue(_ issue: ValidationIssue) throws(PreflightError) {
        try write(issue)
    }

    func discardRows() throws(PreflightError) {
        try heldBack?.truncate()
    }

    /// Writes what was held back; call once the run has ended.
    func finish() throws(PreflightError) {
        try release()
        try output.flush()
    }

    private func write(_ issue: ValidationIssue) throws(PreflightError) {
        try (heldBack ?? output).write(ErrorLine.render(issue, file: fileTag))
    }

    /// Non-whitespace bytes seen (nil: already known): CSV and NDJSON lines need not wait any more.
    private func noteContent(_ bytes: UnsafeRawBufferPointer?) throws(PreflightError) {
        guard !sawContent else { return }
        if let bytes, Bytes.isWhitespace(bytes) { return }
        sawContent = true
        if !holdsUntilEnd { try release() }
    }

    private func release() throws(PreflightError) {
        guard let held = heldBack else { return }
        heldBack = nil
        try held.copy(to: output)
    }
}
