import Foundation
@_spi(Tuning) import Preflight

/// What a generated file must produce: its rows, its invalid rows and its errors by code.
struct Truth: Codable, Equatable {
    var rows = 0
    var invalidRows = 0
    var errors: [String: Int] = [:]

    mutating func row(_ codes: String...) {
        rows += 1
        if !codes.isEmpty { invalidRows += 1 }
        for code in codes { errors[code, default: 0] += 1 }
    }
}

/// Writes seeded `generic_transactions` data in CSV, NDJSON or JSON, with every row-level error
/// class injected at a known rate, and keeps the truth the validator must report.
struct DataGenerator {
    let format: InputFormat
    let rows: Int
    /// One row in `errorEvery` carries an injected error.
    let errorEvery: Int
    private var state: UInt64
    private var out: [UInt8] = []
    private let file: FileHandle
    private(set) var truth = Truth()
    /// The last id a row registered (a duplicate reuses it).
    private var lastID: String?
    /// One row in this many without another error repeats a registered id picked from `sample`.
    let duplicateEvery: Int
    /// A uniform sample of the ids registered so far (reservoir sampling): repeats near and far.
    private var sample: [String] = []
    private var registered = 0
    private static let sampleSize = 1 << 16

    init(format: InputFormat, rows: Int, seed: UInt64, errorEvery: Int, duplicateEvery: Int = 0, path: String) throws {
        self.format = format
        self.rows = rows
        self.errorEvery = errorEvery
        self.duplicateEvery = duplicateEvery
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        file = handle
        out.reserveCapacity(1 << 22)
    }

    private mutating func random(_ bound: Int) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }

    private mutating func write(_ text: String) {
        out.append(contentsOf: text.utf8)
        if out.count >= 1 << 22 { flush() }
    }

    private mutating func write(bytes: [UInt8]) { out.append(contentsOf: bytes) }

    private mutating func flush() {
        file.write(Data(out))
        out.removeAll(keepingCapacity: true)
    }

    /// Error classes per format. Each produces exactly one error of the named code.
    private var classes: [String] {
        let fields = ["amount_text", "amount_negative", "date_calendar", "date_format", "store_missing", "id_missing",
                      "id_duplicate", "items_fraction"]
        switch format {
        case .csv: return fields + ["field_count", "malformed_quotes", "control_character", "invalid_utf8"]
        case .ndjson: return fields + ["empty_line", "syntax", "not_object", "empty_object", "control_character", "invalid_utf8"]
        case .json: return fields + ["not_object", "empty_object"]
        }
    }

    mutating func generate() throws {
        // Two rows far over the 2,097,152-byte cap, at fixed places.
        let largeRows: Set<Int> = [rows / 3, (2 * rows) / 3]
        switch format {
        case .csv: write("transaction_id,amount,date,store_id,customer_id,payment_method,items,tax,discount\n")
        case .json: write("[\n")
        case .ndjson: break
        }
        let classes = self.classes
        for index in 0..<rows {
            var injected: String?
            if largeRows.contains(index) {
                injected = "too_large"
            } else if format == .csv, index == rows - 1 {
                injected = "unterminated"
            } else {
                injected = random(errorEvery) == 0 ? classes[random(classes.count)] : nil
            }
            if injected == nil, duplicateEvery > 0, !sample.isEmpty, random(duplicateEvery) == 0 {
                injected = "id_repeated"
            }
            if format == .json, index > 0 { write(",\n") }
            switch format {
            case .csv: csvRow(index, injected)
            case .ndjson: ndjsonRow(index, injected)
            case .json: jsonRow(index, injected)
            }
        }
        if format == .json { write("\n]\n") }
        flush()
        try file.close()
    }

    /// The fields of a clean row; `injected` replaces one of them.
    private mutating func values(_ index: Int, _ injected: String?) -> (id: String?, amount: String, date: String,
                                                                        store: String, items: String, codes: [String]) {
        var id: String? = "TXN\(index)"
        var amount = "\(random(100_000) + 1).\(random(90) + 10)"
        var date = "2026-\(Self.twoDigits(random(12) + 1))-\(Self.twoDigits(random(28) + 1))"
        var store = "STORE-\(random(500))"
        var items = "\(random(20))"
        var codes: [String] = []
        switch injected {
        case "amount_text": amount = "abc"; codes = ["invalid_amount"]
        case "amount_negative": amount = "-" + amount; codes = ["invalid_amount"]
        case "date_calendar": date = "2026-02-30"; codes = ["invalid_date"]
        case "date_format": date = "2026/01/05"; codes = ["invalid_date"]
        case "store_missing": store = ""; codes = ["missing_required_field"]
        case "id_missing": id = nil; codes = ["missing_id"]
        case "id_duplicate":
            if let lastID { id = lastID; codes = ["duplicate_id"] }
        case "id_repeated":
            id = sample[random(sample.count)]; codes = ["duplicate_id"]
        case "items_fraction": items = "2.5"; codes = ["invalid_items"]
        default: break
        }
        return (id, amount, date, store, items, codes)
    }

    private mutating func freeText() -> String {
        random(10) == 0 ? "card, contactless\nterminal \(random(9))" : (random(2) == 0 ? "card" : "cash")
    }

    private mutating func csvRow(_ index: Int, _ injected: String?) {
        let row = values(index, injected)
        var codes = row.codes
        let text = freeText()
        var payment = text.contains(",") ? "\"\(text)\"" : text
        var customer = "C-\(random(50_000))"
        var store = row.store
        var amount = row.amount
        var dropLast = false
        var registers = row.id != nil && codes != ["duplicate_id"]
        var whole = false
        switch injected {
        case "field_count": dropLast = true; codes = ["field_count_mismatch"]; whole = true
        case "malformed_quotes": payment = "12\" pizza"; codes = ["malformed_quotes"]; whole = true
        case "control_character": store = "STORE-\u{1}"; codes = ["control_character"]
        case "invalid_utf8": customer = "C-\u{FFFD}"; codes = ["invalid_utf8"]; whole = true
        case "too_large": payment = "\"" + String(repeating: "x", count: 2_100_000) + "\""; codes = ["record_too_large"]; whole = true
        case "unterminated": payment = "\"never closed, \(text)"; codes = ["unterminated_quote"]; whole = true
        case "amount_text", "amount_negative": amount = row.amount
        default: break
        }
        if whole { registers = false }
        var line = "\(row.id ?? ""),\(amount),\(row.date),\(store),\(customer),\(payment),\(row.items),1.00"
        if !dropLast { line += ",0.00" }
        if injected == "invalid_utf8" {
            var bytes = Array(line.utf8)
            // Replace U+FFFD (EF BF BD) with one stray byte.
            if let at = bytes.firstIndex(of: 0xEF) { bytes.replaceSubrange(at..<(at + 3), with: [0xFF]) }
            write(bytes: bytes)
            write("\n")
        } else {
            write(line + (injected == "unterminated" ? "" : "\n"))
        }
        if registers, let id = row.id { register(id) }
        truth.rows += 1
        if !codes.isEmpty { truth.invalidRows += 1 }
        for code in codes { truth.errors[code, default: 0] += 1 }
    }

    /// A row's id went into the duplicate check: the next `id_duplicate` repeats it, and it may be
    /// sampled for `id_repeated` (the sample is only kept when that class is on, so that files
    /// without it stay those of earlier versions).
    private mutating func register(_ id: String) {
        lastID = id
        guard duplicateEvery > 0 else { return }
        registered += 1
        if sample.count < Self.sampleSize {
            sample.append(id)
        } else {
            let slot = random(registered)
            if slot < Self.sampleSize { sample[slot] = id }
        }
    }

    /// `String(format: "%02d")` without Foundation's formatter (the generator's hot spot).
    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private func jsonString(_ text: String) -> String {
        // Most values need no escaping: skip Foundation's three searches for them.
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) {
            return "\"" + text + "\""
        }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// The object text of a row, and its codes; nil text for a blank line.
    private mutating func objectText(_ index: Int, _ injected: String?) -> (text: String?, codes: [String], registers: String?) {
        let row = values(index, injected)
        var codes = row.codes
        let amount = random(2) == 0 && !row.amount.contains("a") ? row.amount : jsonString(row.amount)
        var members: [String] = []
        if let id = row.id { members.append("\"transaction_id\":\(jsonString(id))") }
        members.append("\"amount\":\(amount)")
        members.append("\"date\":\(jsonString(row.date))")
        members.append("\"store_id\":\(jsonString(row.store))")
        members.append("\"customer\":{\"id\":\(jsonString("C-\(random(50_000))"))}")
        members.append("\"payment_method\":\(jsonString(freeText()))")
        members.append("\"items\":\(row.items)")
        members.append("\"tax\":\"1.00\",\"discount\":\"0.00\"")
        var text: String? = "{" + members.joined(separator: ",") + "}"
        var registers: String? = row.id != nil && codes != ["duplicate_id"] ? row.id : nil
        switch injected {
        case "empty_line": text = nil; codes = ["empty_line"]; registers = nil
        case "syntax": text = String(text!.dropLast()); codes = ["syntax_error"]; registers = nil
        case "not_object": text = "[1,2,3]"; codes = ["not_an_object"]; registers = nil
        case "empty_object": text = "{}"; codes = ["empty_attributes"]; registers = nil
        case "control_character":
            text = text!.replacingOccurrences(of: "\"tax\":\"1.00\"", with: "\"tax\":\"1.\u{1}00\"")
            codes = ["control_character"]; registers = nil
        case "invalid_utf8":
            text = text!.replacingOccurrences(of: "\"tax\":\"1.00\"", with: "\"tax\":\"1.\u{FFFD}00\"")
            codes = ["invalid_utf8"]; registers = nil
        case "too_large":
            text = "{\"transaction_id\":\"big\",\"notes\":\"" + String(repeating: "x", count: 2_100_000) + "\"}"
            codes = ["record_too_large"]; registers = nil
        default: break
        }
        return (text, codes, registers)
    }

    private mutating func ndjsonRow(_ index: Int, _ injected: String?) {
        let (text, codes, registers) = objectText(index, injected)
        if let text {
            var bytes = Array(text.utf8)
            if injected == "invalid_utf8", let at = bytes.firstIndex(of: 0xEF) {
                bytes.replaceSubrange(at..<(at + 3), with: [0xFF])
            }
            write(bytes: bytes)
        }
        write("\n")
        if let registers { register(registers) }
        truth.rows += 1
        if !codes.isEmpty { truth.invalidRows += 1 }
        for code in codes { truth.errors[code, default: 0] += 1 }
    }

    private mutating func jsonRow(_ index: Int, _ injected: String?) {
        let (text, codes, registers) = objectText(index, injected)
        write(text ?? "{}")
        if let registers { register(registers) }
        truth.rows += 1
        if !codes.isEmpty { truth.invalidRows += 1 }
        for code in codes { truth.errors[code, default: 0] += 1 }
    }
}
