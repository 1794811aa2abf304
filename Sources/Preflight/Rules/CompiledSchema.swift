/// A schema compiled once for the rows: per column a plain rule that rows read without touching
/// reference-counted data, the extra checks of loaded schemas' types and constraints
/// (`ColumnChecks`), and the texts that stand for no value. `problem` is the one verdict on a
/// value, shared by every format and both CSV passes so that they cannot disagree.
struct CompiledSchema {
    /// A column's rule, copied out of `Column`.
    struct Rule {
        var type: ColumnType
        var required: Bool
        var mustBePositive: Bool
        /// Index in `extras` of the column's `ColumnChecks`, or -1: the built-in type check alone.
        var extra: Int32
        /// The column's set of values in `IDList` when it is `unique` (1, 2, …), else 0.
        var uniqueSet: UInt8
    }

    /// Whether any column is `unique`.
    let hasUniqueColumns: Bool

    /// By schema column.
    let rules: [Rule]
    private let extras: [ColumnChecks]
    /// The same, unretained: rows call them without reference counting (`extras` keeps them alive).
    private let extraRefs: [Unmanaged<ColumnChecks>]
    /// Texts besides "" that stand for no value (Table Schema `missingValues`).
    private let missingValues: [[UInt8]]
    /// Whether "" stands for no value (it does unless `missingValues` leaves it out).
    private let emptyIsMissing: Bool
    /// Whether `missingValues` has texts besides "" (then values are compared with them).
    private let hasMissingTexts: Bool

    init(_ schema: Schema) {
        var extras: [ColumnChecks] = []
        var uniqueSets = 0
        // `unique` on the id itself says what `duplicate_id` already does: only that is reported.
        let soleID = schema.idColumnIndex
        rules = schema.columns.enumerated().map { index, column in
            var extra: Int32 = -1
            if ColumnChecks.needed(for: column, typing: schema.valueTyping) {
                extra = Int32(extras.count)
                extras.append(ColumnChecks(column, typing: schema.valueTyping))
            }
            var uniqueSet: UInt8 = 0
            if column.constraints.unique, index != soleID {
                uniqueSets += 1
                uniqueSet = UInt8(uniqueSets)
            }
            return Rule(type: column.type, required: column.required, mustBePositive: column.mustBePositive, extra: extra,
                        uniqueSet: uniqueSet)
        }
        hasUniqueColumns = uniqueSets > 0
        self.extras = extras
        extraRefs = extras.map { Unmanaged.passUnretained($0) }
        missingValues = schema.missingValues.filter { !$0.isEmpty }.map { Array($0.utf8) }
        emptyIsMissing = schema.missingValues.contains("")
        hasMissingTexts = !missingValues.isEmpty
    }

    /// Whether a present value is one of the texts that stand for no value.
    @inline(__always)
    func isMissingText(_ value: UnsafeRawBufferPointer) -> Bool {
        if value.isEmpty { return emptyIsMissing }
        return hasMissingTexts && isOtherMissingText(value)
    }

    private func isOtherMissingText(_ value: UnsafeRawBufferPointer) -> Bool {
        for text in missingValues where text.count == value.count && text.elementsEqual(value) { return true }
        return false
    }

    /// The verdict on a column's value (SPEC §5, §10): an id must not be blank; a required value
    /// must not be absent, blank or a missing-value text; an absent optional value is not checked
    /// further; any other value must have its column's type and meet its constraints.
    /// `value` nil: absent or null.
    @inline(__always)
    func problem(_ value: UnsafeRawBufferPointer?, kind: ValueKind, rule: Rule, isID: Bool) -> IssueKind? {
        guard let value else { return isID ? .missingID : (rule.required ? .missingRequiredField : nil) }
        if isID || rule.required {
            if ValueChecks.isBlank(value) || (hasMissingTexts && isOtherMissingText(value)) {
                return isID ? .missingID : .missingRequiredField
            }
        } else if isMissingText(value) {
            return nil
        }
        if rule.extra >= 0 {
            return extraRefs.withUnsafeBufferPointer { refs in
                refs[Int(rule.extra)]._withUnsafeGuaranteedRef { $0.problem(value, kind: kind) }
            }
        }
        return Self.typeProblem(value, type: rule.type, mustBePositive: rule.mustBePositive)
    }

    /// Writes to `scratch` the canonical form a `unique` column's value is compared by, when it
    /// has one: numbers by value (`01` and `1.0` are `1`), booleans by truth (`true`, `false`).
    /// False: the value is compared as it is.
    func writesCanonical(_ value: UnsafeRawBufferPointer, kind: ValueKind, rule: Rule, into scratch: inout [UInt8]) -> Bool {
        rule.extra >= 0 && extras[Int(rule.extra)].canonical(value, kind: kind, into: &scratch)
    }

    /// The built-in types' check: what is wrong with a present value for its type, if anything.
    @inline(__always)
    static func typeProblem(_ value: UnsafeRawBufferPointer, type: ColumnType, mustBePositive: Bool) -> IssueKind? {
        switch type {
        case .integer:
            return ValueChecks.isInteger(value) ? nil : .invalidInteger
        case .decimal:
            guard ValueChecks.isDecimal(value) else { return .invalidNumber }
            if mustBePositive && !ValueChecks.isPositiveDecimal(value) { return .notPositive }
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
        default:
            return nil  // string, string_or_number; the others always have `ColumnChecks`
        }
    }
}
