#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `preflight infer`: proposes a schema in preflight's format from a sample of a file — each
/// column's narrowest type that every sampled value has, `required` where no sampled row leaves it
/// empty, an `enum` for a text column of few distinct values, and the first required column whose
/// sampled values never repeat as the id. The sampled rows validate against it (a test checks it);
/// rows past the sample may not.
public enum SchemaInference {
    /// What is learnt about one column from the sample.
    private struct ColumnStats {
        let name: String
        var present = 0
        var absent = 0
        var integer = true, decimal = true, number = true, boolean = true
        var date = true, datetime = true, time = true
        /// Distinct values while few (nil once past `enumLimit`), in first-seen order.
        var distinct: [String]? = []
        var seen = Set<[UInt8]>()
        var repeats = false

        init(name: String) { self.name = name }

        mutating func add(_ value: UnsafeRawBufferPointer?) {
            guard let value, !value.isEmpty else {
                absent += 1
                return
            }
            present += 1
            integer = integer && ValueChecks.isInteger(value)
            decimal = decimal && ValueChecks.isDecimal(value)
            number = number && ValueChecks.isNumber(value)
            boolean = boolean && (ColumnChecks.defaultTrueValues + ColumnChecks.defaultFalseValues)
                .contains { $0.utf8.elementsEqual(value) }
            date = date && ValueChecks.checkDate(value) == .valid
            datetime = datetime && ValueChecks.checkDatetime(value) == .valid
            time = time && ValueChecks.checkTime(value) == .valid
            let bytes = Array(value)
            if !seen.insert(bytes).inserted { repeats = true }
            if distinct != nil {
                let text = String(decoding: bytes, as: UTF8.self)
                if !distinct!.contains(text) { distinct!.append(text) }
                if distinct!.count > SchemaInference.enumLimit { distinct = nil }
            }
        }

        /// The narrowest type every present value has.
        var type: ColumnType {
            guard present > 0 else { return .string }
            if integer { return .integer }
            if decimal { return .decimal }
            if number { return .number }
            if boolean { return .boolean }
            if date { return .date }
            if datetime { return .datetime }
            if time { return .time }
            return .string
        }
    }

    /// A text column with at most this many distinct values (and each seen twice on average) gets an `enum`.
    static let enumLimit = 10

    /// How ``infer(path:options:)`` reads the file: its format, the CSV delimiter, and how many rows
    /// it samples.
    public struct Options: Sendable {
        /// The file's format (it is not told from the name).
        public var format: InputFormat
        /// The CSV field delimiter, one ASCII byte; a comma by default. Not used for JSON or NDJSON.
        public var delimiter: UInt8 = UInt8(ascii: ",")
        /// Rows read (0 = all).
        public var sampleRows = 100_000
        /// Options for a file in `format`: a comma delimiter and a sample of 100,000 rows.
        public init(format: InputFormat) { self.format = format }
    }

    /// The proposed schema for the file at `path`, named after the file.
    public static func infer(path: String, options: Options) throws(PreflightError) -> Schema {
        // A JSON array is read whole (its elements need the document); lines only as far as needed.
        let bytes = try InputBytes.reading(path: path, cap: options.format == .json ? nil : 256 << 20)
        if Bytes.isGzip(bytes.bytes) {
            throw .compressed(path)
        }
        var columns: [ColumnStats] = []
        var rows = 0
        let name = TableSchemaFormat.stem(of: path).split(separator: ".").first.map(String.init) ?? "inferred"
        let limit = options.sampleRows > 0 ? options.sampleRows : Int.max
        var start = Bytes.hasBOM(bytes.bytes) ? 3 : 0
        switch options.format {
        case .csv:
            let reader = try CSVReader(delimiter: options.delimiter, recordCap: Int.max / 2, engine: .libcsv)
            var header: [String]? = nil
            _ = try reader.read(bytes.bytes, from: start, to: bytes.count, dataEnd: bytes.count, isFinal: true,
                                firstLine: 1) { record in
                guard record.status == .parsed else { return true }
                guard let names = header else {
                    header = (0..<record.fieldCount).map { String(decoding: record.field($0), as: UTF8.self) }
                    columns = header!.map(ColumnStats.init)
                    return true
                }
                if record.fieldCount == 1, record.field(0).isEmpty { return true }  // a blank line
                guard record.fieldCount == names.count else { return true }
                rows += 1
                for index in 0..<record.fieldCount { columns[index].add(record.field(index)) }
                return rows < limit
            }
        case .ndjson, .json:
            var positions: [String: Int] = [:]
            func visit(_ row: JSONRow) {
                guard case .object(let object) = row.content else { return }
                rows += 1
                let fields = object.flattened()
                var present = Set<Int>()
                for index in 0..<fields.count {
                    let key = String(decoding: fields.key(index), as: UTF8.self)
                    let position = positions[key] ?? {
                        columns.append(ColumnStats(name: key))
                        // Rows before this one did not have it.
                        columns[columns.count - 1].absent = rows - 1
                        positions[key] = columns.count - 1
                        return columns.count - 1
                    }()
                    present.insert(position)
                    columns[position].add(fields.kind(index) == .null ? nil : fields.value(index))
                }
                for index in columns.indices where !present.contains(index) { columns[index].absent += 1 }
            }
            if options.format == .ndjson {
                let reader = try NDJSONReader(recordCap: Int.max / 2)
                _ = try reader.read(bytes.bytes, readable: bytes.readable, from: start, to: bytes.count,
                                    dataEnd: bytes.count, isFinal: true, firstLine: 1) { row in
                    visit(row)
                    return rows < limit
                }
            } else {
                let reader = try JSONReader(recordCap: Int.max / 2)
                while start < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes.bytes[start]) { start += 1 }
                if let failure = try reader.read(bytes.bytes, readable: bytes.readable, documentStart: start, { row in
                    if rows < limit { visit(row) }
                }) {
                    throw .parserFailure("cannot infer from \(path): " + failure.detail(at: nil))
                }
            }
        }
        guard rows > 0, !columns.isEmpty else { throw .parserFailure("cannot infer from \(path): no data rows") }
        var result: [Column] = []
        var id: String? = nil
        for stats in columns {
            let required = stats.absent == 0 && stats.present > 0
            let type = stats.type
            var constraints = Constraints()
            if type == .string, let distinct = stats.distinct, !distinct.isEmpty, stats.present >= 2 * distinct.count,
               stats.repeats {
                constraints.enumValues = distinct
            }
            if id == nil, required, !stats.repeats, rows > 1, type == .string || type == .integer {
                id = stats.name
            }
            result.append(Column(stats.name, type, required: required, constraints: constraints))
        }
        return Schema(name: name, columns: result, idColumn: id)
    }
}
