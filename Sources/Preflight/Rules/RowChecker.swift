/// The row-level rules of SPEC §5: required fields and id, value types and constraints.
/// Readers hand it a row's values; it records the row's errors in (row, column) order into an
/// `IssueLog`, and each row's id into an `IDList`: ids are compared across chunks when the chunks'
/// results are merged in order, so that duplicates name the lowest row whatever the thread count.
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
    private var pending: [Pending] = []
    /// The current row's id, if it has one to register.
    private var rowID: UnsafeRawBufferPointer?
    private var rowIDOrder = 0
    /// Whether each schema column is (part of) the id.
    private let isIDColumn: [Bool]
    /// An id of several columns (a tuple): its columns in the id's order; empty otherwise.
    private let tupleColumns: [Int]
    private let hasTupleID: Bool
    /// The current row's values of the tuple's columns that passed their checks.
    private var tupleValues: [UnsafeRawBufferPointer?] = []
    /// CSV: the header positions of the tuple's columns (-1: not in the header).
    private var tuplePositions: [Int] = []
    /// The current row's values of `unique` columns to register, and their canonical forms.
    private var rowUniques: [(value: UnsafeRawBufferPointer, kind: ValueKind, rule: ValueRule, order: Int)] = []
    private var canonical: [UInt8] = []
    private typealias ValueRule = CompiledSchema.Rule
    /// The schema's per-column rules and the one verdict on a value.
    private let compiled: CompiledSchema

    /// Per schema column, reused from row to row.
    private struct Slot {
        /// The current row's value (nil: absent or null).
        var value: UnsafeRawBufferPointer?
        /// What the value is (JSON typing): a CSV cell is `.text`.
        var kind: ValueKind
        /// The position used to order errors: CSV header position, JSON schema position.
        var order: Int
        var hasError: Bool
        var rule: ValueRule
        /// Checked on every row (CSV: the column is in the header).
        var checked: Bool
    }

    /// Owns a plain buffer of elements, so that rows touch it and not copy-on-write arrays.
    private final class PlainBuffer<Element> {
        let elements: UnsafeMutableBufferPointer<Element>
        init(_ values: [Element]) {
            elements = .allocate(capacity: values.count)
            _ = elements.initialize(from: values)
        }
        deinit { elements.deallocate() }
    }

    private let storage: PlainBuffer<Slot>
    private var slots: UnsafeMutableBufferPointer<Slot> { storage.elements }
    /// CSV: schema column of each header position (first copy of a name only), or -1.
    private var headerColumns: [Int] = []
    private var headerNames: [String] = []
    /// CSV: whether each header position repeats a name seen earlier in the header.
    private var isRepeatedCopy: [Bool] = []
    /// CSV: the header's field count, which every record must have.
    private(set) var headerFieldCount = 0
    /// CSV: `invalid_<name>` for each header position the schema rejects (`otherColumns` reject), else nil.
    private var unexpectedCodes: [String?] = []
    /// CSV: whether the header has a column the schema rejects (then every row has an error).
    private var rejectsHeaderColumns = false
    /// JSON: the last object shape resolved against the schema.
    private var shape = JSONShape()
    /// CSV: the checks compiled from the header and the schema, one per header position that
    /// has a rule (first copy of a schema column), in header order.
    private var fieldChecks = PlainBuffer<FieldCheck>([])

    init(schema: Schema, checksUniqueIDs: Bool) {
        self.schema = schema
        self.checksUniqueIDs = checksUniqueIDs
        let compiled = CompiledSchema(schema)
        self.compiled = compiled
        isIDColumn = schema.columns.indices.map(schema.idColumnIndexes.contains)
        tupleColumns = schema.idColumnIndexes.count > 1 ? schema.idColumnIndexes : []
        hasTupleID = schema.idColumnIndexes.count > 1
        tupleValues = Array(repeating: nil, count: tupleColumns.count)
        storage = PlainBuffer(compiled.rules.enumerated().map { index, rule in
            Slot(value: nil, kind: .text, order: index, hasError: false, rule: rule, checked: true)
        })
        pending.reserveCapacity(16)
    }

    /// Sets up CSV rows: `names` is the header; returns nothing, reports nothing (the header's
    /// own errors are the validator's).
    mutating func useCSVHeader(_ names: [String]) {
        headerNames = names
        headerFieldCount = names.count
        headerColumns = Array(repeating: -1, count: names.count)
        // A repeated name: only its first copy is validated; the other copies' values raise nothing.
        var seen = Set<String>()
        isRepeatedCopy = names.map { !seen.insert($0).inserted }
        // A column missing from the header is reported once, on the header, not on every row.
        for index in slots.indices { slots[index].checked = false }
        for (position, name) in names.enumerated() {
            if let column = schema.columnIndex(named: name), !slots[column].checked {
                slots[column].checked = true
                headerColumns[position] = column
            }
        }
        fieldChecks = PlainBuffer(headerColumns.enumerated().filter { $0.element >= 0 }.map { position, column in
            FieldCheck(position: Int32(position), rule: slots[column].rule, isID: isIDColumn[column])
        })
        let rejects = schema.otherColumns == .reject
        unexpectedCodes = names.indices.map { position in
            rejects && headerColumns[position] < 0 && !isRepeatedCopy[position] ? "invalid_" + names[position] : nil
        }
        rejectsHeaderColumns = unexpectedCodes.contains { $0 != nil }
        tuplePositions = tupleColumns.map { column in headerColumns.firstIndex(of: column) ?? -1 }
    }

    /// One header position's rule, compiled from its schema column: no look-up per row.
    private struct FieldCheck {
        var position: Int32
        var rule: ValueRule
        var isID: Bool
    }

    // MARK: Rows

    private mutating func beginRow() {
        pending.removeAll(keepingCapacity: true)
        rowUniques.removeAll(keepingCapacity: true)
        for index in tupleValues.indices { tupleValues[index] = nil }
        rowID = nil
        for index in slots.indices {
            slots[index].value = nil
            slots[index].kind = .text
            slots[index].order = index
            slots[index].hasError = false
        }
    }

    /// A row with one whole-row error (too large, quotes, UTF-8, field count, syntax, …).
    mutating func rejectRow(_ kind: IssueKind, row: Int, line: Int, into log: inout IssueLog) {
        log.add(kind, row: row, line: line)
        log.countInvalidRow()
    }

    /// The common CSV row in one pass over the compiled checks: true when the row has no error
    /// (its id, if any, is then listed); false when it may have one, and `checkCSV` must find and
    /// order its errors. This pass never reports anything itself, so the report is `checkCSV`'s
    /// whichever way a row goes. The record has the header's field count and no control byte.
    @inline(__always)
    mutating func passesCSV(_ record: CSVRecord, row: Int, line: Int, ids: inout IDList) -> Bool {
        let checks = fieldChecks.elements
        var id: UnsafeRawBufferPointer? = nil
        var idPosition = 0
        if rejectsHeaderColumns { return false }
        for check in checks {
            let value = record.field(Int(check.position))
            if compiled.problem(value, kind: .text, rule: check.rule, isID: check.isID) != nil { return false }
            if check.isID {
                id = value
                idPosition = Int(check.position)
            }
        }
        if !hasTupleID {
            if checksUniqueIDs, let id { ids.append(id, row: row, line: line, order: idPosition, rowHasErrors: false) }
        } else if checksUniqueIDs, !tuplePositions.contains(-1) {
            for (index, position) in tuplePositions.enumerated() { tupleValues[index] = record.field(position) }
            addTuple(order: tuplePositions[0], row: row, line: line, rowHasErrors: false, ids: &ids)
        }
        if compiled.hasUniqueColumns {
            for check in checks where check.rule.uniqueSet > 0 {
                let value = record.field(Int(check.position))
                addUnique(value, kind: .text, rule: check.rule, order: Int(check.position), row: row, line: line,
                          rowHasErrors: false, ids: &ids)
            }
        }
        return true
    }

    /// A CSV record with the header's field count.
    /// `checkControl` false: the caller knows the record holds no control character.
    mutating func checkCSV(_ record: CSVRecord, row: Int, line: Int, checkControl: Bool = true, into log: inout IssueLog,
                           ids: inout IDList) {
        beginRow()
        for position in 0..<record.fieldCount {
            let value = record.field(position)
            let column = headerColumns[position]
            if isRepeatedCopy[position] { continue }
            if checkControl, ValueChecks.hasControlCharacter(value) {
                pending.append(Pending(order: position, kind: .controlCharacter, field: headerNames[position]))
                if column >= 0 { slots[column].hasError = true }
            } else if column >= 0 {
                slots[column].value = value
                slots[column].order = position
            } else if let code = unexpectedCodes[position] {
                pending.append(Pending(order: position, kind: .unexpectedField, field: headerNames[position],
                                       invalidCode: code))
            }
        }
        checkValues()
        flush(row: row, line: line, into: &log, ids: &ids)
    }

    /// A JSON object (NDJSON line or JSON element). A row with the shape of the last one checked
    /// is read from its members as listed; any other row is flattened (SPEC §2) and its names
    /// looked up, and its shape is kept for the rows after it. Both ways give the same verdicts:
    /// the cached shape holds exactly what the look-ups found.
    mutating func checkObject(_ object: JSONObject, row: Int, line: Int, unknownColumns: inout UnknownColumns,
                              into log: inout IssueLog, ids: inout IDList) {
        if shape.matches(object) {
            switch readKnownShape(object, row: row, unknownColumns: &unknownColumns) {
            case .empty:
                rejectRow(.emptyAttributes, row: row, line: line, into: &log)
                return
            case .read:
                checkValues()
                flush(row: row, line: line, into: &log, ids: &ids)
                return
            case .needsFlattening: break
            }
        }
        let fields = object.flattened()
        if fields.isEmpty {
            rejectRow(.emptyAttributes, row: row, line: line, into: &log)
            return
        }
        beginRow()
        for index in 0..<fields.count {
            let key = fields.key(index)
            if let column = schema.columnIndex(named: key) {
                // Repeated keys: the last one wins.
                let kind = fields.kind(index)
                slots[column].value = kind == .null ? nil : fields.value(index)
                slots[column].kind = Self.valueKind(kind)
            } else {
                switch schema.otherColumns {
                case .notice: unknownColumns.note(key, row: row)
                case .reject: rejectUnexpected(key, order: schema.columns.count + index)
                case .allow: break
                }
            }
        }
        let schema = self.schema
        shape.record(object, fields: fields) { field in
            if let column = schema.columnIndex(named: fields.key(field)) { return Int32(column) }
            switch schema.otherColumns {
            case .notice: return JSONShape.unknown
            case .reject: return JSONShape.unexpected
            case .allow: return JSONShape.ignored
            }
        }
        checkValues()
        flush(row: row, line: line, into: &log, ids: &ids)
    }

    private enum KnownShape {
        /// Only null and empty values: the row is rejected whole, nothing of it is noted.
        case empty
        /// The values are in their columns and the unknown names noted.
        case read
        /// A column holds an array, whose compact text flattening writes.
        case needsFlattening
    }

    /// Puts the values of a row with the cached shape into their columns and notes its unknown
    /// names, as the look-ups did for the row the shape was cached from.
    private mutating func readKnownShape(_ object: JSONObject, row: Int, unknownColumns: inout UnknownColumns)
        -> KnownShape {
        var isEmpty = true
        for index in 0..<object.count {
            switch object.kind(index) {
            case .object, .null: continue
            case .string where object.value(index).isEmpty: continue
            case .array where shape.member(index).column >= 0: return .needsFlattening
            default: isEmpty = false
            }
        }
        if isEmpty { return .empty }
        beginRow()
        var field = 0  // attributes so far: the order of an unexpected one, as when flattened
        for index in 0..<object.count {
            let member = shape.member(index)
            let kind = object.kind(index)
            if kind != .object { field += 1 }
            if member.column >= 0 {
                // Repeated keys: the last one wins.
                slots[Int(member.column)].value = kind == .null ? nil : object.value(index)
                slots[Int(member.column)].kind = Self.valueKind(kind)
            } else if member.column == JSONShape.unknown {
                unknownColumns.note(shape.name(of: member), row: row)
            } else if member.column == JSONShape.unexpected {
                rejectUnexpected(shape.name(of: member), order: schema.columns.count + field - 1)
            }
        }
        return .read
    }

    /// A key the schema does not allow (`otherColumns` reject): `invalid_<key>`, after the schema's columns.
    private mutating func rejectUnexpected(_ key: UnsafeRawBufferPointer, order: Int) {
        let name = String(decoding: key, as: UTF8.self)
        pending.append(Pending(order: order, kind: .unexpectedField, field: name, invalidCode: "invalid_" + name))
    }

    @inline(__always)
    private static func valueKind(_ kind: JSONObject.Kind) -> ValueKind {
        switch kind {
        case .string: return .string
        case .number: return .number
        case .boolean: return .boolean
        case .array, .object, .null: return .array
        }
    }

    private mutating func checkValues() {
        for index in slots.indices where slots[index].checked && !slots[index].hasError {
            let slot = slots[index]
            let isID = isIDColumn[index]
            guard let problem = compiled.problem(slot.value, kind: slot.kind, rule: slot.rule, isID: isID) else {
                if isID, checksUniqueIDs {
                    if tupleColumns.isEmpty {
                        rowID = slot.value
                        rowIDOrder = slot.order
                    } else if let component = tupleColumns.firstIndex(of: index) {
                        tupleValues[component] = slot.value
                    }
                }
                if slot.rule.uniqueSet > 0, let value = slot.value {
                    rowUniques.append((value, slot.kind, slot.rule, slot.order))
                }
                continue
            }
            let column = schema.columns[index]
            switch problem {
            case .missingID, .missingRequiredField:
                pending.append(Pending(order: slot.order, kind: problem, field: column.name))
            default:
                pending.append(Pending(order: slot.order, kind: problem, field: column.name,
                                       invalidCode: column.invalidCode, value: slot.value))
            }
        }
    }

    /// Lists an id of several columns as one value: its parts as a JSON array of strings
    /// (`["A","7"]`), which no other parts can spell, and which the duplicate's message shows.
    private mutating func addTuple(order: Int, row: Int, line: Int, rowHasErrors: Bool, ids: inout IDList) {
        canonical.removeAll(keepingCapacity: true)
        canonical.append(UInt8(ascii: "["))
        for (index, part) in tupleValues.enumerated() {
            if index > 0 { canonical.append(UInt8(ascii: ",")) }
            canonical.append(Bytes.quote)
            for byte in part ?? UnsafeRawBufferPointer(start: nil, count: 0) {
                switch byte {
                case Bytes.quote, UInt8(ascii: "\\"):
                    canonical.append(UInt8(ascii: "\\"))
                    canonical.append(byte)
                case ..<0x20:
                    canonical.append(contentsOf: "\\u00".utf8)
                    canonical.append(Self.hexDigit(byte >> 4))
                    canonical.append(Self.hexDigit(byte & 0xF))
                default:
                    canonical.append(byte)
                }
            }
            canonical.append(Bytes.quote)
        }
        canonical.append(UInt8(ascii: "]"))
        canonical.withUnsafeBytes { ids.append($0, row: row, line: line, order: order, rowHasErrors: rowHasErrors) }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// Lists a `unique` column's value (in its canonical form, if it has one) for the merge.
    private mutating func addUnique(_ value: UnsafeRawBufferPointer, kind: ValueKind, rule: ValueRule, order: Int,
                                    row: Int, line: Int, rowHasErrors: Bool, ids: inout IDList) {
        // An absent value (empty, or a missing-value text) is no value: it repeats nothing.
        if compiled.isMissingText(value) { return }
        if compiled.writesCanonical(value, kind: kind, rule: rule, into: &canonical) {
            canonical.withUnsafeBytes {
                ids.append($0, row: row, line: line, order: order, rowHasErrors: rowHasErrors, set: Int(rule.uniqueSet))
            }
        } else {
            ids.append(value, row: row, line: line, order: order, rowHasErrors: rowHasErrors, set: Int(rule.uniqueSet))
        }
    }

    private mutating func flush(row: Int, line: Int, into log: inout IssueLog, ids: inout IDList) {
        if let rowID {
            ids.append(rowID, row: row, line: line, order: rowIDOrder, rowHasErrors: !pending.isEmpty)
        }
        if !tupleColumns.isEmpty, !tupleValues.contains(where: { $0 == nil }) {
            addTuple(order: slots[tupleColumns[0]].order, row: row, line: line, rowHasErrors: !pending.isEmpty, ids: &ids)
        }
        for unique in rowUniques {
            addUnique(unique.value, kind: unique.kind, rule: unique.rule, order: unique.order, row: row, line: line,
                      rowHasErrors: !pending.isEmpty, ids: &ids)
        }
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
            log.add(issue.kind, row: row, line: line, order: issue.order, field: issue.field,
                    invalidCode: issue.invalidCode, value: issue.value)
        }
        log.countInvalidRow()
    }
}

/// Columns a JSON or NDJSON file has that the schema does not name: one notice per name, at the
/// row where it first appears, at most `limit` names.
struct UnknownColumns {
    static let limit = 100
    /// Names in the order they first appeared, with that row.
    private(set) var names: [(name: String, row: Int)] = []
    private var bytes: [[UInt8]] = []

    mutating func note(_ name: UnsafeRawBufferPointer, row: Int) {
        guard bytes.count < Self.limit else { return }
        for known in bytes where known.count == name.count {
            if known.withUnsafeBytes({ $0.elementsEqual(name) }) { return }
        }
        bytes.append(Array(name))
        names.append((String(decoding: name, as: UTF8.self), row))
    }

    /// The bytes of name `index`, for the duration of `body`.
    func nameBytes<T>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        bytes[index].withUnsafeBytes(body)
    }

    /// Takes in another part's names, its rows shifted by `rowOffset`.
    mutating func absorb(_ other: UnknownColumns, rowOffset: Int) {
        for (index, (_, row)) in other.names.enumerated() {
            other.bytes[index].withUnsafeBytes { note($0, row: row + rowOffset) }
        }
    }

    var notices: [Notice] {
        names.map { Notice(code: IssueCode.unknownColumn.rawValue, message: "Unknown column: " + $0.name, row: $0.row) }
    }
}
