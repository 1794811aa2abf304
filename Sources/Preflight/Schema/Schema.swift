#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The type a column's values must have (SPEC §4; loaded schemas add Table Schema's and JSON
/// Schema's types).
public enum ColumnType: String, Sendable, CaseIterable {
    /// Any text.
    case string
    /// `[+-]?digits[.digits]`: no exponent, no thousands separators, no currency symbol.
    case decimal
    /// `[+-]?digits`.
    case integer
    /// A decimal with an optional exponent (`1.5e3`), as Table Schema's and JSON's numbers.
    case number
    /// `true`/`false` and the column's other spellings (`trueValues`, `falseValues`).
    case boolean
    /// `YYYY-MM-DD`, a real proleptic Gregorian date (or the column's `format`).
    case date
    /// A plain date, or `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]`.
    case datetime
    /// `hh:mm:ss[.fraction][Z|±hh:mm]`.
    case time
    /// `YYYY`.
    case year
    /// Anything.
    case any
    /// A string or a JSON number (Productsup's `id`).
    case stringOrNumber = "string_or_number"
}

/// What a schema does with a column it does not name.
public enum OtherColumns: String, Sendable {
    /// An `unknown_column` notice, once per name.
    case notice
    /// Nothing: the schema expects other columns (Productsup's items).
    case allow
    /// Each value is an `invalid_<name>` error, "Unexpected field" (JSON Schema `additionalProperties: false`).
    case reject
}

/// How a JSON value's type is judged.
public enum ValueTyping: String, Sendable {
    /// By its text (SPEC §9): the string `"5"` and the number `5` are both an integer.
    case text
    /// By its JSON type (JSON Schema): `"5"` is a string, `1.0` is an integer; CSV cells are read
    /// by JSON's number grammar for `number` and `integer`.
    case json
}

/// The constraints a column's present values must meet, checked in this order after the type:
/// `enum`/`const`, `pattern`, lengths, bounds, `multipleOf`. Numbers are kept as their decimal
/// text and compared exactly.
public struct Constraints: Sendable, Equatable {
    /// `enum`: the values allowed, as text. A numeric column compares them by value (`7.0` is `7`),
    /// a boolean column by truth, any other column by exact text (a JSON number also by value);
    /// another value is an `invalid_<name>` error, "Value must be one of …".
    public var enumValues: [String]?
    /// `const`: the one value allowed, compared as ``enumValues`` are; another value is an
    /// `invalid_<name>` error, "Value must be '…'".
    public var const: String?
    /// A regular expression (PCRE2 syntax) the value's text must match.
    public var pattern: String?
    /// true: the whole value must match (Table Schema, preflight's format); false: a match
    /// anywhere in it is enough (JSON Schema).
    public var patternMatchesWholeValue = true
    /// Lengths in Unicode scalars.
    public var minLength: Int?
    /// The most Unicode scalars a text value may have; a longer one is an `invalid_<name>` error,
    /// "Value must be at most N characters long".
    public var maxLength: Int?
    /// The least value allowed, itself included, as decimal text (for a date column in the default
    /// layout, a `YYYY-MM-DD` date); a smaller value is an `invalid_<name>` error, "Value must be
    /// at least …".
    public var minimum: String?
    /// The greatest value allowed, itself included, written as ``minimum`` is; a greater value is an
    /// `invalid_<name>` error, "Value must be at most …".
    public var maximum: String?
    /// A lower bound values must be above, written as ``minimum`` is; a value at or below it is an
    /// `invalid_<name>` error, "Value must be greater than …" ("Value must be positive" for `0` on a
    /// decimal column).
    public var exclusiveMinimum: String?
    /// An upper bound values must be below, written as ``minimum`` is; a value at or above it is an
    /// `invalid_<name>` error, "Value must be less than …".
    public var exclusiveMaximum: String?
    /// A number greater than zero that every value of a numeric column must be a whole multiple of,
    /// as decimal text (compared exactly: `0.01` allows `1.23`, not `1.234`); any other value is an
    /// `invalid_<name>` error, "Value must be a multiple of …".
    public var multipleOf: String?
    /// No two rows may hold the same value: the second and later are errors naming the first row.
    /// Numbers compare by value and booleans by truth, as for `enum`.
    public var unique = false

    /// No constraints: every value of the column's type is allowed.
    public init() {}

    /// Whether any constraint is set.
    public var isEmpty: Bool { self == Constraints() }
}

/// How a number is written (Table Schema): `1.234,5` with `decimalChar` `,` and `groupChar` `.`;
/// `bareNumber` false allows text before and after it (`€95`, `95%`). Values are read back to
/// plain numbers before their type and bounds are checked.
public struct NumberFormat: Sendable, Equatable {
    /// The character between a number's whole and fractional parts; `.` by default.
    public var decimalChar: String
    /// The character that groups digits (`,` in `1,234.5`), dropped when the number is read back;
    /// nil: digits are not grouped.
    public var groupChar: String?
    /// true: the value is the number alone; false: text before its first sign or digit and after its
    /// last digit is allowed and dropped (`€95`, `95%`).
    public var bareNumber: Bool

    /// A number format; the defaults describe a plain number (`.` for the decimal character, no group
    /// character, nothing around it).
    public init(decimalChar: String = ".", groupChar: String? = nil, bareNumber: Bool = true) {
        self.decimalChar = decimalChar
        self.groupChar = groupChar
        self.bareNumber = bareNumber
    }
}

/// One column a schema names.
public struct Column: Sendable, Equatable {
    /// The column's name: a CSV header name, or a JSON key (a nested one dot-joined,
    /// `customer.address.city`). Its value errors have the code `invalid_` followed by this name.
    public let name: String
    /// The type every present value must have; a value of another type is an `invalid_<name>` error.
    public let type: ColumnType
    /// Whether every row must have a value: a CSV header without the column is a
    /// `missing_required_column` error, and a value that is absent, null, empty, only spaces or one
    /// of the schema's ``Schema/missingValues`` is a `missing_required_field` error.
    public let required: Bool
    /// A date, datetime or time layout (`%d/%m/%Y`), or a string format (`email`, `uri`, `uuid`,
    /// `binary`); nil: the default.
    public let format: String?
    /// How a number or integer is written when not plainly (Table Schema's `decimalChar`,
    /// `groupChar`, `bareNumber`); nil: plainly.
    public let numberFormat: NumberFormat?
    /// What a present value must meet after its type; a value that breaks a constraint is an
    /// `invalid_<name>` error.
    public let constraints: Constraints
    /// Boolean spellings; nil: `true, True, TRUE, 1` and `false, False, FALSE, 0`.
    public let trueValues: [String]?
    /// The spellings of false for a boolean column (see ``trueValues``); nil: `false, False, FALSE, 0`.
    public let falseValues: [String]?

    /// The name as bytes, for comparisons on the hot path.
    let nameBytes: [UInt8]
    /// `invalid_` + name: the code of a value that breaks this column's type or constraint.
    let invalidCode: String

    /// A column named `name` of type `type`. Left out, the other parameters set nothing: no layout,
    /// no constraints, the default boolean spellings, plain numbers. The values are taken as given:
    /// the schema file loaders refuse a layout or constraint the checks cannot use, this initializer
    /// does not.
    public init(_ name: String, _ type: ColumnType, required: Bool, format: String? = nil,
                constraints: Constraints = Constraints(), trueValues: [String]? = nil, falseValues: [String]? = nil,
                numberFormat: NumberFormat? = nil) {
        self.name = name
        self.type = type
        self.required = required
        self.format = format
        self.numberFormat = numberFormat
        self.constraints = constraints
        self.trueValues = trueValues
        self.falseValues = falseValues
        self.nameBytes = Array(name.utf8)
        self.invalidCode = "invalid_" + name
    }

    /// A built-in's decimal that must be greater than zero (`amount`): `exclusiveMinimum` 0.
    public init(_ name: String, _ type: ColumnType, required: Bool, mustBePositive: Bool) {
        var constraints = Constraints()
        if mustBePositive { constraints.exclusiveMinimum = "0" }
        self.init(name, type, required: required, constraints: constraints)
    }

    /// Values must be greater than zero (`exclusiveMinimum` 0, worded "Value must be positive").
    public var mustBePositive: Bool { constraints.exclusiveMinimum == "0" }
}

/// A platform's rules for one kind of upload: its columns, which of them is the id, and what to
/// do with the others.
public struct Schema: Sendable, Equatable {
    /// The schema's name: the report's `schemaType`, and the name ``named(_:)`` finds a built-in by.
    public let name: String
    /// Columns in schema order: the order errors of JSON and NDJSON rows are listed in.
    public let columns: [Column]
    /// Index in `columns` of the id column, if the schema has one.
    public var idColumnIndex: Int? { idColumnIndexes.count == 1 ? idColumnIndexes[0] : nil }
    /// Indexes in `columns` of the id's columns: none, one, or several (the id is then their
    /// values together, as a Table Schema `primaryKey` of several fields).
    public let idColumnIndexes: [Int]
    /// What to do with a column the schema does not name; ``OtherColumns/notice`` by default.
    public let otherColumns: OtherColumns
    /// Texts that stand for no value (Table Schema's `missingValues`); `[""]` by default.
    public let missingValues: [String]
    /// How a JSON value's type is judged; ``ValueTyping/text`` by default (JSON Schema files:
    /// ``ValueTyping/json``).
    public let valueTyping: ValueTyping

    /// Whether columns the schema does not name are expected (no `unknown_column` notice).
    public var acceptsOtherColumns: Bool { otherColumns == .allow }

    /// The look-up of a column by its name's bytes: candidates by (name length, first byte),
    /// confirmed against every name's bytes packed one after another (column `i` at
    /// `offsets[i]..<offsets[i + 1]`), so that no `Column` is copied (and its strings retained)
    /// per key.
    struct NameTable: Sendable {
        static let maximumLength = 64
        static let none: Int16 = -1
        static let several: Int16 = -2
        var candidates = [Int16](repeating: none, count: maximumLength * 256)
        let names: [UInt8]
        let offsets: [Int]

        init(_ columns: [Column]) {
            for (index, column) in columns.enumerated() {
                let name = column.nameBytes
                guard !name.isEmpty, name.count < Self.maximumLength else { continue }
                let slot = name.count * 256 + Int(name[0])
                candidates[slot] = candidates[slot] == Self.none ? Int16(index) : Self.several
            }
            names = columns.flatMap(\.nameBytes)
            offsets = columns.reduce(into: [0]) { $0.append($0.last! + $1.nameBytes.count) }
        }

        /// The index of the column whose name is exactly these bytes. The table gives the one
        /// candidate, which one `memcmp` confirms; names that share a length and first byte
        /// (or are long) are compared one by one.
        @inline(__always)
        func index(of bytes: UnsafeRawBufferPointer) -> Int? {
            let count = bytes.count
            guard count > 0, let base = bytes.baseAddress else { return nil }
            let candidate = count < Self.maximumLength
                ? Int(candidates[count &* 256 &+ Int(base.load(as: UInt8.self))]) : Int(Self.several)
            if candidate == Int(Self.none) { return nil }
            return names.withUnsafeBufferPointer { names in
                offsets.withUnsafeBufferPointer { offsets in
                    func matches(_ index: Int) -> Bool {
                        offsets[index + 1] - offsets[index] == count
                            && memcmp(names.baseAddress! + offsets[index], base, count) == 0
                    }
                    if candidate >= 0 { return matches(candidate) ? candidate : nil }
                    return (0..<(offsets.count - 1)).first(where: matches)
                }
            }
        }
    }

    private let nameTable: NameTable

    /// `idColumn`: the id column's name (it must be one of `columns`), or nil for none.
    public init(name: String, columns: [Column], idColumn: String?, otherColumns: OtherColumns = .notice,
                missingValues: [String] = [""], valueTyping: ValueTyping = .text) {
        self.init(name: name, columns: columns, idColumns: idColumn.map { [$0] } ?? [], otherColumns: otherColumns,
                  missingValues: missingValues, valueTyping: valueTyping)
    }

    /// `idColumns`: the names of the id's columns (each one of `columns`), in the id's order.
    public init(name: String, columns: [Column], idColumns: [String], otherColumns: OtherColumns = .notice,
                missingValues: [String] = [""], valueTyping: ValueTyping = .text) {
        precondition(idColumns.allSatisfy { id in columns.contains { $0.name == id } },
                     "the id's columns must be columns of the schema")
        self.name = name
        self.columns = columns
        self.nameTable = NameTable(columns)
        self.idColumnIndexes = idColumns.map { id in columns.firstIndex { $0.name == id }! }
        self.otherColumns = otherColumns
        self.missingValues = missingValues
        self.valueTyping = valueTyping
    }

    /// The id column when the id is one column.
    public var idColumn: Column? { idColumnIndex.map { columns[$0] } }
    /// The id's columns.
    public var idColumns: [Column] { idColumnIndexes.map { columns[$0] } }

    public static func == (left: Schema, right: Schema) -> Bool {
        left.name == right.name && left.columns == right.columns && left.idColumnIndexes == right.idColumnIndexes
            && left.otherColumns == right.otherColumns && left.missingValues == right.missingValues
            && left.valueTyping == right.valueTyping
    }

    /// The index of the column whose name is exactly these bytes.
    @inline(__always)
    func columnIndex(named bytes: UnsafeRawBufferPointer) -> Int? { nameTable.index(of: bytes) }

    func columnIndex(named name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}

extension Schema {
    /// Piing's generic transaction upload (`generic_transactions`): `transaction_id` (the id, text),
    /// `amount` (a decimal above 0), `date` (`YYYY-MM-DD`) and `store_id`, all required; `customer_id`,
    /// `payment_method`, `items` (an integer), `tax` and `discount` (decimals), optional. Other columns
    /// are noticed (`unknown_column`).
    public static let genericTransactions = Schema(
        name: "generic_transactions",
        columns: [
            Column("transaction_id", .string, required: true),
            Column("amount", .decimal, required: true, mustBePositive: true),
            Column("date", .date, required: true),
            Column("store_id", .string, required: true),
            Column("customer_id", .string, required: false),
            Column("payment_method", .string, required: false),
            Column("items", .integer, required: false),
            Column("tax", .decimal, required: false),
            Column("discount", .decimal, required: false),
        ],
        idColumn: "transaction_id")

    /// Square point-of-sale exports (`square_pos`): `transaction_id` (the id, text), `gross_sales`
    /// (a decimal), `created_at` (a datetime, `YYYY-MM-DDThh:mm:ss` with optional fraction and zone)
    /// and `location_id`, all required; `customer_id`, `tender_type`, `net_sales` and `tax`
    /// (decimals), optional. Other columns are noticed (`unknown_column`).
    public static let squarePOS = Schema(
        name: "square_pos",
        columns: [
            Column("transaction_id", .string, required: true),
            Column("gross_sales", .decimal, required: true),
            Column("created_at", .datetime, required: true),
            Column("location_id", .string, required: true),
            Column("customer_id", .string, required: false),
            Column("tender_type", .string, required: false),
            Column("net_sales", .decimal, required: false),
            Column("tax", .decimal, required: false),
        ],
        idColumn: "transaction_id")

    /// Productsup Stream API items (`productsup_stream`): a required `id` (text or a number, the
    /// id), and any other attributes, allowed without a notice.
    public static let productsupStream = Schema(
        name: "productsup_stream",
        columns: [Column("id", .stringOrNumber, required: true)],
        idColumn: "id",
        otherColumns: .allow)

    /// The built-in schemas, in the order `preflight schemas` lists them.
    public static let builtIn: [Schema] = [genericTransactions, squarePOS, productsupStream]

    /// The built-in schema with this name.
    public static func named(_ name: String) -> Schema? {
        builtIn.first { $0.name == name }
    }
}
