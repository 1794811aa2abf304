/// Counts the rows that carry any error, file-level ones included (Jumbo's `error_lines`).
public final class ErrorRowCounter: RowObserver {
    public private(set) var rows = 0
    private var fileIssueRows: Set<Int> = []

    public init() {}

    public func header(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {}

    public func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) throws(PreflightError) {
        if !issues.isEmpty { rows += 1 }
    }

    public func rowBytes(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {}
    public func endRow() throws(PreflightError) {}

    public func fileIssue(_ issue: ValidationIssue) throws(PreflightError) {
        if fileIssueRows.insert(issue.row).inserted { rows += 1 }
    }

    public func discardRows() throws(PreflightError) {
        rows = 0
        fileIssueRows.removeAll()
    }
}
