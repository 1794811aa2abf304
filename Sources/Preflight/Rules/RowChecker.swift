/// The row-level rules of SPEC §5: required fields and id, value types and constraints,
/// duplicate ids. Readers hand it a row's values; it records the row's errors in (row, column)
/// order into an `IssueLog`.
struct RowChecker {
    /// One error of the current row, before it is ordered and logged.
    private struct Pending {
        var order: Int
        var kind: IssueKind
        var field: String?
        var invalidCode: String?
        var value: UnsafeRawBufferPointer?
    }

    let schema: Schema
    let checksUniqueIDs: Bool
    private var ids = IDRegistry()
    private var pending: [Pending] = []
    // The current row's value for each schema column (nil: absent or null).
    private var values: [UnsafeRawBufferPointer?]
    // The position used to order errors: CSV header position, JSON schema position.
    private var orders: [Int]
    private var fieldHasError: [Bool]
    /// Columns checked on every row: for CSV those in the header (a missing column is reported
    /// once, on the header), for JSON all of them.
    private var checkedColumns: [Bool]
    /// CSV: schema column of each header position (first copy of a name only), or -1.
    private var headerColumns: [Int] = []
    private var headerNames: [String] = []

    init(schema: Schema, checksUniqueIDs: Bool) {
        self.schema = schema
        self.checksUniqueIDs = checksUniqueIDs
        let count = schema.columns.count
        values = Array(repeating: nil, count: count)
        orders = Array(repeating: 0, count: count)
        fieldHasError = Array(repeating: false, count: count)
        checkedColumns = Array(repeating: true, count: count)
        pending.reserveCapacity(16)
    }

    /// Sets up CSV rows: `names` is the header; returns nothing, reports nothing (the header's
    /// own errors are the validator's).
    mutating func useCSVHeader(_ names: [String]) {
        headerNames = names
        headerColumns = Array(repeating: -1, count: names.count)
        checkedColumns = Array(repeating: false, count: schema.columns.count)
        for (position, name) in names.enumerated() {
            if let column = schema.columnIndex(named: name), !checkedColumns[column] {
                checkedColumns[column] = true
                headerColumns[position] = column
            }
        }
    }

    // MARK: Rows

    private mutating func beginRow() {
        pending.removeAll(keepingCapacity: true)
        for index in values.indices {
            values[index] = nil
            orders[index] = index
            fieldHasError[index] = false
        }
    }

    /// A row with one whole-row error (too large, quotes, UTF-8, field count, syntax, …).
    mutating func rejectRow(_ kind: IssueKind, row: Int, line: Int, into log: inout IssueLog) {
        log.add(kind, row: row, line: line)
        log.countInvalidRow()
    }

    /// A CSV record with the header's field count.
    mutating func checkCSV(_ record: CSVRecord, row: Int, line: Int, into log: inout IssueLog) {
        beginRow()
        for position in 0..<record.fieldCount {
            let value = record.field(position)
            let column = headerColumns[position]
            if ValueChecks.hasControlCharacter(value) {
                pending.append(Pending(order: position, kind: .controlCharacter, field: headerNames[position]))
                if column >= 0 { fieldHasError[column] = true }
            } else if column >= 0 {
                values[column] = value
                orders[column] = position
            }
        }
        checkValues(row: row)
        flush(row: row, line: line, into: &log)
    }

    /// A flattened JSON object (NDJSON line or JSON element).
    mutating func checkObject(_ object: JSONObject, row: Int, line: Int, unknownColumns: inout UnknownColumns,
                              into log: inout IssueLog) {
        if object.isEmpty {
            rejectRow(.emptyAttributes, row: row, line: line, into: &log)
            return
        }
        beginRow()
        for index in 0..<object.count {
            let key = object.key(index)
            if let column = schema.columnIndex(named: key) {
                // Repeated keys: the last one wins.
                values[column] = object.kind(index) == .null ? nil : object.value(index)
            } else if !schema.acceptsOtherColumns {
                unknownColumns.note(key, row: row)
            }
        }
        checkValues(row: row)
        flush(row: row, line: line, into: &log)
    }

    private mutating func checkValues(row: Int) {
        for index in schema.columns.indices where checkedColumns[index] && !fieldHasError[index] {
            let column = schema.columns[index]
            let value = values[index]
            let order = orders[index]
            let isMissing = value.map(ValueChecks.isBlank) ?? true
            if index == schema.idColumnIndex {
                if isMissing {
                    pending.append(Pending(order: order, kind: .missingID, field: column.name))
                } else if checksUniqueIDs, let firstRow = ids.register(value!, row: row) {
                    pending.append(Pending(order: order, kind: .duplicateID(firstRow: firstRow), field: column.name,
                                           value: value))
                }
                continue
            }
            guard let value else {
                if column.required { pending.append(Pending(order: order, kind: .missingRequiredField, field: column.name)) }
                continue
            }
            if isMissing {
                if column.required {
                    pending.append(Pending(order: order, kind: .missingRequiredField, field: column.name))
                    continue
                }
                if value.isEmpty { continue }  // an empty optional value is absent
            }
            if let problem = Self.typeProblem(value, column) {
                pending.append(Pending(order: order, kind: problem, field: column.name, invalidCode: column.invalidCode,
                                       value: value))
            }
        }
    }

    /// What is wrong with a present value for its column's type and constraint, if anything.
    static func typeProblem(_ value: UnsafeRawBufferPointer, _ column: Column) -> IssueKind? {
        switch column.type {
        case .string, .stringOrNumber:
            return nil
        case .integer:
            return ValueChecks.isInteger(value) ? nil : .invalidInteger
        case .decimal:
            guard ValueChecks.isDecimal(value) else { return .invalidNumber }
            if column.mustBePositive && !ValueChecks.isPositiveDecimal(value) { return .notPositive }
            return nil
        case .date:
            switch ValueChecks.checkDate(value) {
            case .valid: return nil
            case .badFormat: return .invalidDateFormat
            case .notReal: return .invalidDate
            }
        case .datetime:
            switch ValueChecks.checkDatetime(value) {
            case .valid: return nil
            case .badFormat: return .invalidDatetimeFormat
            case .notReal: return .invalidDatetime
            }
        }
    }

    private mutating func flush(row: Int, line: Int, into log: inout IssueLog) {
        guard !pending.isEmpty else { return }
        if pending.count > 1 {
            // Few errors per row: a stable insertion sort by column position.
            for index in 1..<pending.count {
                var other = index
                while other > 0, pending[other - 1].order > pending[other].order {
                    pending.swapAt(other - 1, other)
                    other -= 1
                }
            }
        }
        for issue in pending {
            log.add(issue.kind, row: row, line: line, field: issue.field, invalidCode: issue.invalidCode,
                    value: issue.value)
        }
        log.countInvalidRow()
    }
}

/// Columns a JSON or NDJSON file has that the schema does not name: one notice per name, at the
/// row where it first appears, at most `limit` names.
struct UnknownColumns {
    static let limit = 100
    private var seen = IDRegistry()
    private(set) var notices: [Notice] = []

    mutating func note(_ name: UnsafeRawBufferPointer, row: Int) {
        guard seen.count < Self.limit else { return }
        if seen.register(name, row: row) == nil {
            let text = String(decoding: name, as: UTF8.self)
            notices.append(Notice(code: "unknown_column", message: "Unknown column: " + text, row: row))
        }
    }
}
