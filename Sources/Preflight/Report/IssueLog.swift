/// Collects a run's errors as they are found, in (row, column) order: every count exact, the
/// listed errors capped at `maxErrors` (0 = no cap). Messages are built only for listed errors.
struct IssueLog {
    let maxErrors: Int
    private(set) var listed: [ValidationIssue] = []
    /// Counts of the fixed codes, by `IssueKind.fixedCodeIndex` (no hashing per error).
    private var fixedCounts = [Int](repeating: 0, count: IssueKind.fixedCodeCount)
    /// Counts of the `invalid_<column>` codes.
    private var invalidCounts: [String: Int] = [:]
    private(set) var totalErrors = 0
    private(set) var fileLevelErrors = 0
    private(set) var invalidRows = 0
    var notices: [Notice] = []

    init(maxErrors: Int) {
        self.maxErrors = maxErrors
    }

    var isListFull: Bool { maxErrors > 0 && listed.count >= maxErrors }

    /// Counts an error and lists it while there is room. `order` places it within its row
    /// (column position; whole-row errors -1, `too_many_rows` -2).
    mutating func add(_ kind: IssueKind, row: Int, line: Int, order: Int = -1, field: String? = nil,
                      invalidCode: String? = nil, value: UnsafeRawBufferPointer? = nil) {
        count(kind, invalidCode: invalidCode)
        if !isListFull {
            listed.append(ValidationIssue(kind, row: row, line: line, order: order, field: field,
                                          invalidCode: invalidCode, value: value))
        }
    }

    /// Like `add`, and returns the error with its message built even past the cap, for the
    /// outputs that take every error (row observers).
    mutating func addReturningIssue(_ kind: IssueKind, row: Int, line: Int, order: Int = -1, field: String? = nil,
                                    invalidCode: String? = nil, value: UnsafeRawBufferPointer? = nil) -> ValidationIssue {
        count(kind, invalidCode: invalidCode)
        let issue = ValidationIssue(kind, row: row, line: line, order: order, field: field, invalidCode: invalidCode,
                                    value: value)
        list(issue)
        return issue
    }

    private mutating func count(_ kind: IssueKind, invalidCode: String?) {
        if let index = kind.fixedCodeIndex {
            fixedCounts[index] += 1
        } else {
            invalidCounts[kind.code(invalidCode: invalidCode), default: 0] += 1
        }
        totalErrors += 1
        if kind.isFileLevel { fileLevelErrors += 1 }
    }

    /// Counts an error found after the rows it belongs to were merged (an id settled by the
    /// out-of-core check); returns it, message built, when `building` (for `listInOrder`).
    mutating func countLate(_ kind: IssueKind, row: Int, line: Int, order: Int, field: String?, invalidCode: String?,
                            value: UnsafeRawBufferPointer, building: Bool) -> ValidationIssue? {
        count(kind, invalidCode: invalidCode)
        guard building else { return nil }
        return ValidationIssue(kind, row: row, line: line, order: order, field: field, invalidCode: invalidCode,
                               value: value)
    }

    /// Merges errors counted late (in (row, order) order) into the list, which stays the first
    /// `maxErrors` of all in (row, order) order; an error listed already comes first on a tie.
    mutating func listInOrder(_ late: [ValidationIssue]) {
        guard !late.isEmpty else { return }
        var merged: [ValidationIssue] = []
        merged.reserveCapacity(listed.count + late.count)
        var index = 0, lateIndex = 0
        while index < listed.count || lateIndex < late.count {
            if maxErrors > 0, merged.count >= maxErrors { break }
            if lateIndex == late.count
                || (index < listed.count
                    && (listed[index].row, listed[index].order) <= (late[lateIndex].row, late[lateIndex].order)) {
                merged.append(listed[index])
                index += 1
            } else {
                merged.append(late[lateIndex])
                lateIndex += 1
            }
        }
        listed = merged
    }

    /// Lists an error already counted elsewhere (a chunk's), while there is room.
    mutating func list(_ issue: ValidationIssue) {
        if !isListFull { listed.append(issue) }
    }

    /// The counts of the fixed codes, by `IssueKind.fixedCodeIndex`, and of the `invalid_<column>`
    /// codes (for a partial result's file).
    var fixedCodeCounts: [Int] { fixedCounts }
    var invalidCodeCounts: [String: Int] { invalidCounts }

    /// A log as a partial result's file recorded it.
    mutating func restore(listed: [ValidationIssue], fixedCounts: [Int], invalidCounts: [String: Int], totalErrors: Int,
                          fileLevelErrors: Int, invalidRows: Int) {
        self.listed = listed
        self.fixedCounts = fixedCounts
        self.invalidCounts = invalidCounts
        self.totalErrors = totalErrors
        self.fileLevelErrors = fileLevelErrors
        self.invalidRows = invalidRows
    }

    /// Every error counted by code.
    var countsByCode: [String: Int] {
        var counts = invalidCounts
        for (index, count) in fixedCounts.enumerated() where count > 0 {
            counts[IssueKind.fixedCodes[index], default: 0] += count
        }
        return counts
    }

    /// Adds another log's counts (a chunk's), not its list.
    mutating func addCounts(of other: IssueLog) {
        for index in fixedCounts.indices { fixedCounts[index] += other.fixedCounts[index] }
        for (code, count) in other.invalidCounts { invalidCounts[code, default: 0] += count }
        totalErrors += other.totalErrors
        fileLevelErrors += other.fileLevelErrors
        invalidRows += other.invalidRows
    }

    /// Counts a row that carries at least one row-level error.
    mutating func countInvalidRow() {
        invalidRows += 1
    }
}
