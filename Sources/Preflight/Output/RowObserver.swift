import Synchronization

/// Receives a run's rows in row order, each with its raw bytes and every one of its errors (no
/// cap), for outputs that need more than the report: the NDJSON error stream, the rejects/clean
/// split, Productsup's first examples. Calls come from one thread, in input order, whatever the
/// thread count (with the `async` functions, a thread of the run's own: do not touch the
/// observer from elsewhere until the run returns).
///
/// Every requirement has a default that does nothing: implement only what you need. The order:
/// `begin`; `header` (CSV); for each data row `beginRow`, then `rowBytes` once or more (a row
/// longer than the read window comes in pieces), then `endRow`; `fileIssue` whenever an error
/// not tied to a data row is found; `discardRows` if the rows turn out void; and `finish` once
/// after the last row of a complete run (not when it fails or is stopped).
public protocol RowObserver: AnyObject {
    /// The run begins: the input's format and the name its report gives it.
    func begin(format: InputFormat, name: String) throws(PreflightError)
    /// The CSV header record as it came in, line break included; before any row.
    func header(_ bytes: UnsafeRawBufferPointer) throws(PreflightError)
    /// A data row begins: its number, the physical line where it starts, and its errors (empty when
    /// it has none). `too_many_rows` comes with the row it is reported at.
    func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) throws(PreflightError)
    /// Raw bytes of the current row, as they came in (its line break included).
    func rowBytes(_ bytes: UnsafeRawBufferPointer) throws(PreflightError)
    /// The current row is over: all its bytes have come through `rowBytes`.
    func endRow() throws(PreflightError)
    /// An error not tied to a data row: header errors (row 1) as they are found, and the errors of
    /// row 0 (`empty_payload`, `file_too_large`, `invalid_file` for JSON) at the end.
    func fileIssue(_ issue: ValidationIssue) throws(PreflightError)
    /// Every row seen so far is void: the input turned out not to be valid JSON, or to hold only
    /// whitespace. The run's report lists no rows.
    func discardRows() throws(PreflightError)
    /// The run is complete: write what was held back, commit files. Not called for a run that
    /// failed or was stopped (its outputs are dropped with the observer).
    func finish() throws(PreflightError)
}

/// Every requirement has a default that does nothing, so an observer implements only what it needs.
public extension RowObserver {
    func begin(format: InputFormat, name: String) throws(PreflightError) {}
    func header(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {}
    func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) throws(PreflightError) {}
    func rowBytes(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {}
    func endRow() throws(PreflightError) {}
    func fileIssue(_ issue: ValidationIssue) throws(PreflightError) {}
    func discardRows() throws(PreflightError) {}
    func finish() throws(PreflightError) {}
}

/// Hands each row that has row-level errors to a closure, with its bytes as they came in (line
/// break included) and all its errors, in row order: "give me each rejected row".
///
/// ```swift
/// let rejected = RejectedRows { row in print(row.row, row.issues.map(\.code)) }
/// let report = try Preflight.validate(file: "export.csv", schema: .genericTransactions, observers: [rejected])
/// ```
///
/// When a run voids its rows (a JSON file that turns out not to be valid JSON, or holds only
/// whitespace), `onDiscard` is called: the rows handed over so far do not stand.
public final class RejectedRows: RowObserver {
    /// One rejected row.
    public struct Row: Sendable {
        /// The row's number (as in the report).
        public let row: Int
        /// The physical line where it starts.
        public let line: Int
        /// The row as it came in, line break included.
        public let bytes: [UInt8]
        /// All its errors, in column order.
        public let issues: [ValidationIssue]
    }

    private let handle: (Row) -> Void
    private let onDiscard: () -> Void
    private var current: (row: Int, line: Int, issues: [ValidationIssue])?
    private var bytes: [UInt8] = []

    /// `handle` is called on the run's merging thread, one row at a time, in row order;
    /// `onDiscard` when the rows handed over so far turn out void. With the `async` functions of
    /// ``Preflight`` under Swift 6's checks, write the closures `{ @Sendable row in … }`: they run
    /// on the run's own thread.
    public init(onDiscard: @escaping () -> Void = {}, _ handle: @escaping (Row) -> Void) {
        self.handle = handle
        self.onDiscard = onDiscard
    }

    public func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) throws(PreflightError) {
        current = issues.isEmpty ? nil : (row, line, Array(issues))
        bytes.removeAll(keepingCapacity: true)
    }

    public func rowBytes(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        if current != nil { self.bytes.append(contentsOf: bytes) }
    }

    /// Hands the row that just ended to the closure, when it has errors.
    public func endRow() throws(PreflightError) {
        guard let current else { return }
        self.current = nil
        handle(Row(row: current.row, line: current.line, bytes: bytes, issues: current.issues))
    }

    public func discardRows() throws(PreflightError) {
        current = nil
        onDiscard()
    }
}

/// Passes rows from the chunks to the observers.
///
/// Under a memory limit, a row whose id went past the in-memory table has no verdict until the
/// end; from that row on the delivery is *held back*: rows are not handed over (they are read
/// again after the run, with every verdict known, and handed over then) and errors of row 0 wait
/// for them, so observers see the same calls in the same order as with every id in memory.
final class RowDelivery {
    private let observers: [any RowObserver]
    /// Whether a row was begun whose bytes are still coming (a row longer than the window).
    private(set) var rowIsOpen = false
    /// Rows are held back (see above).
    private(set) var isHeldBack = false
    /// File-level errors that came while rows were held back.
    private var heldIssues: [ValidationIssue] = []
    /// The second reading of the held-back rows: the header and file-level errors it meets were
    /// handed over by the first.
    private var isSecondReading = false
    /// The CSV header as handed over (the copy of a stream read again starts with it).
    private(set) var headerBytes: [UInt8] = []

    init(_ observers: [any RowObserver]) {
        self.observers = observers
    }

    func header(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        guard !isSecondReading else { return }
        headerBytes = Array(bytes)
        for observer in observers { try observer.header(bytes) }
    }

    /// Rows from here on wait for the second reading.
    func holdBack() { isHeldBack = true }

    /// Second readings made in this process (tests look, to know one was made).
    static var secondReadings: Int { secondReadingCount.load(ordering: .relaxed) }
    private static let secondReadingCount = Atomic<Int>(0)

    /// The second reading begins: rows go through again, nothing else.
    func beginSecondReading() {
        Self.secondReadingCount.add(1, ordering: .relaxed)
        isHeldBack = false
        isSecondReading = true
    }

    /// Rows are all handed over: the file-level errors held back follow them.
    func handOverHeldIssues() throws(PreflightError) {
        isHeldBack = false
        isSecondReading = false
        let issues = heldIssues
        heldIssues = []
        for issue in issues { try fileIssue(issue) }
    }

    /// A merged chunk's rows before `limit` (all when nil); `issues` are its errors in global
    /// numbering, in (row, column) order.
    func deliver(_ chunk: ChunkResult, rowBase: Int, lineBase: Int, issues: [ValidationIssue],
                 window: UnsafeRawBufferPointer, limit: Int? = nil) throws(PreflightError) {
        guard !isHeldBack else { return }
        var issueIndex = 0
        for index in 0..<max(0, min(chunk.rows, limit ?? chunk.rows)) {
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
        if isSecondReading { return }
        if isHeldBack {
            heldIssues.append(issue)
            return
        }
        for observer in observers { try observer.fileIssue(issue) }
    }

    /// The rows turn out void (JSON): those handed over are dropped by the observers, and none
    /// is held back any more.
    func discardRows() throws(PreflightError) {
        if rowIsOpen { try endRow() }
        isHeldBack = false
        heldIssues = []
        for observer in observers { try observer.discardRows() }
    }
}
