#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The type a column's values must have (SPEC §4).
public enum ColumnType: String, Sendable {
    /// Any text.
    case string
    /// `[+-]?digits[.digits]`: no exponent, no thousands separators, no currency symbol.
    case decimal
    /// `[+-]?digits`.
    case integer
    /// `YYYY-MM-DD`, a real proleptic Gregorian date.
    case date
    /// A plain date, or `YYYY-MM-DDThh:mm:ss[.fraction][Z|±hh:mm]`.
    case datetime
    /// A string or a JSON number (Productsup's `id`).
    case stringOrNumber = "string_or_number"
}

/// One column a schema names.
public struct Column: Sendable {
    public let name: String
    public let type: ColumnType
    public let required: Bool
    /// The value must be greater than zero (`amount`).
    public let mustBePositive: Bool

    /// The name as bytes, for comparisons on the hot path.
    let nameBytes: [UInt8]
    /// `invalid_` + name: the code of a value that breaks this column's type or constraint.
    let invalidCode: String
    let missingMessage: String

    public init(_ name: String, _ type: ColumnType, required: Bool, mustBePositive: Bool = false) {
        self.name = name
        self.type = type
        self.required = required
        self.mustBePositive = mustBePositive
        self.nameBytes = Array(name.utf8)
        self.invalidCode = "invalid_" + name
        self.missingMessage = "Missing required field: " + name
    }
}

/// A platform's rules for one kind of upload: its columns and which of them is the id.
public struct Schema: Sendable {
    public let name: String
    /// Columns in schema order: the order errors of JSON and NDJSON rows are listed in.
    public let columns: [Column]
    /// Index in `columns` of the id column.
    public let idColumnIndex: Int
    /// Whether columns the schema does not name are expected (no `unknown_column` notice).
    public let acceptsOtherColumns: Bool

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

    public init(name: String, columns: [Column], idColumn: String, acceptsOtherColumns: Bool) {
        precondition(columns.contains { $0.name == idColumn }, "the id column must be one of the columns")
        self.name = name
        self.columns = columns
        self.nameTable = NameTable(columns)
        self.idColumnIndex = columns.firstIndex { $0.name == idColumn }!
        self.acceptsOtherColumns = acceptsOtherColumns
    }

    public var idColumn: Column { columns[idColumnIndex] }

    /// The index of the column whose name is exactly these bytes.
    @inline(__always)
    func columnIndex(named bytes: UnsafeRawBufferPointer) -> Int? { nameTable.index(of: bytes) }

    func columnIndex(named name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }
}

extension Schema {
    /// Piing's generic transaction upload.
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
        idColumn: "transaction_id",
        acceptsOtherColumns: false)

    /// Square point-of-sale exports.
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
        idColumn: "transaction_id",
        acceptsOtherColumns: false)

    /// Productsup Stream API items: an id, and any other attributes.
    public static let productsupStream = Schema(
        name: "productsup_stream",
        columns: [Column("id", .stringOrNumber, required: true)],
        idColumn: "id",
        acceptsOtherColumns: true)

    /// The built-in schemas, in the order `preflight schemas` lists them.
    public static let builtIn: [Schema] = [genericTransactions, squarePOS, productsupStream]

    /// The built-in schema with this name.
    public static func named(_ name: String) -> Schema? {
        builtIn.first { $0.name == name }
    }
}
