/// Counts the rows that carry any error, file-level ones included (Jumbo's `error_lines`).
final class ErrorRowCounter: RowObserver {
    private(set) var rows = 0
    private var fileIssueRows: Set<Int> = []

    init() {}

    func header(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {}

    func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) throws(PreflightError) {
        if !issues.isEmpty { rows += 1 }
    }

    func rowBytes(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {}
    func endRow() throws(PreflightError) {}

    func fileIssue(_ issue: ValidationIssue) throws(PreflightError) {
        if fileIssueRows.insert(issue.row).inserted { rows += 1 }
    }

    func discardRows() throws(PreflightError) {
        rows = 0
        fileIssueRows.removeAll()
    }
}
