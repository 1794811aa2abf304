/// Receives a run's rows in row order, each with its raw bytes and every one of its errors (no
/// cap), for outputs that need more than the report: the NDJSON error stream, the rejects/clean
/// split, Productsup's first examples. Calls come from one thread, in input order, whatever the
/// thread count.
///
/// For each data row: `beginRow`, then `rowBytes` once or more (a row longer than the read
/// window comes in pieces), then `endRow`.
public protocol RowObserver: AnyObject {
    /// The CSV header record as it came in, line break included; before any row.
    func header(_ bytes: UnsafeRawBufferPointer) throws(PreflightError)
    /// A data row begins: its number, the physical line where it starts, and its errors (empty when
    /// it has none). `too_many_rows` comes with the row it is reported at.
    func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) throws(PreflightError)
    /// Raw bytes of the current row, as they came in (its line break included).
    func rowBytes(_ bytes: UnsafeRawBufferPointer) throws(PreflightError)
    func endRow() throws(PreflightError)
    /// An error not tied to a data row: header errors (row 1) as they are found, and the errors of
    /// row 0 (`empty_payload`, `file_too_large`, `invalid_file` for JSON) at the end.
    func fileIssue(_ issue: ValidationIssue) throws(PreflightError)
    /// Every row seen so far is void: the input turned out not to be valid JSON, or to hold only
    /// whitespace. The run's report lists no rows.
    func discardRows() throws(PreflightError)
}

/// Passes rows from the chunks to the observers.
final class RowDelivery {
    private let observers: [any RowObserver]
    /// Whether a row was begun whose bytes are still coming (a row longer than the window).
    private(set) var rowIsOpen = false

    init(_ observers: [any RowObserver]) {
        self.observers = observers
    }

    func header(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        for observer in observers { try observer.header(bytes) }
    }

    /// A merged chunk's rows; `issues` are its errors in global numbering, in (row, column) order.
    func deliver(_ chunk: ChunkResult, rowBase: Int, lineBase: Int, issues: [ValidationIssue],
                 window: UnsafeRawBufferPointer) throws(PreflightError) {
        var issueIndex = 0
        for index in 0..<chunk.rows {
            let row = rowBase + index
            let first = issueIndex
            while issueIndex < issues.count, issues[issueIndex].row == row { issueIndex += 1 }
            let line = lineBase + Int(chunk.rowLines[index])
            for observer in observers { try observer.beginRow(row: row, line: line, issues: issues[first..<issueIndex]) }
            guard index < chunk.spans.count else {
                // A row too large for the window: its bytes follow piece by piece.
                rowIsOpen = true
                return
            }
            let span = chunk.spans[index]
            let bytes = UnsafeRawBufferPointer(rebasing: window[span.start..<span.next])
            for observer in observers {
                try observer.rowBytes(bytes)
                try observer.endRow()
            }
        }
    }

    /// More bytes of the open row.
    func rowBytes(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        guard rowIsOpen, !bytes.isEmpty else { return }
        for observer in observers { try observer.rowBytes(bytes) }
    }

    func endRow() throws(PreflightError) {
        guard rowIsOpen else { return }
        rowIsOpen = false
        for observer in observers { try observer.endRow() }
    }

    func fileIssue(_ issue: ValidationIssue) throws(PreflightError) {
        for observer in observers { try observer.fileIssue(issue) }
    }

    func discardRows() throws(PreflightError) {
        if rowIsOpen { try endRow() }
        for observer in observers { try observer.discardRows() }
    }
}
