/// Gathers what Productsup's batch-error report needs beyond the counts: each distinct message,
/// how often it occurs, and its first example (the physical line where the row starts and the
/// row as written, cut at 1000 bytes). Messages are listed in the order they first occur, up to
/// `maxMessages` of them (0 = all); the occurrences of a listed message are exact.
final class ProductsupCollector: RowObserver {
    struct Entry: Sendable, Equatable {
        let message: String
        var occurrences: Int
        let lineNumber: Int
        var value: String
    }

    /// Bytes of a row kept for an example.
    static let exampleLimit = 1000

    private(set) var entries: [Entry] = []
    private var indexByMessage: [String: Int] = [:]
    private let maxMessages: Int
    private var headerValue = ""
    /// Entries created by the current row, waiting for its bytes.
    private var waiting: [Int] = []
    private var rowStart: [UInt8] = []

    init(maxMessages: Int) {
        self.maxMessages = maxMessages
    }

    func header(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        headerValue = Self.example(Array(bytes.prefix(Self.exampleLimit + 2)))
    }

    func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) throws(PreflightError) {
        for issue in issues {
            if let entry = count(issue.error, line: line) { waiting.append(entry) }
        }
        rowStart.removeAll(keepingCapacity: true)
    }

    func rowBytes(_ bytes: UnsafeRawBufferPointer) throws(PreflightError) {
        guard !waiting.isEmpty, rowStart.count < Self.exampleLimit + 2 else { return }
        rowStart.append(contentsOf: bytes.prefix(Self.exampleLimit + 2 - rowStart.count))
    }

    func endRow() throws(PreflightError) {
        guard !waiting.isEmpty else { return }
        let value = Self.example(rowStart)
        for entry in waiting { entries[entry].value = value }
        waiting.removeAll(keepingCapacity: true)
    }

    func fileIssue(_ issue: ValidationIssue) throws(PreflightError) {
        // Header errors show the header; errors of the whole file (row 0) have no line to show.
        guard let entry = count(issue.error, line: issue.row == 0 ? 0 : issue.line) else { return }
        entries[entry].value = issue.row == 0 ? "" : headerValue
    }

    func discardRows() throws(PreflightError) {
        entries.removeAll()
        indexByMessage.removeAll()
        waiting.removeAll()
    }

    /// Counts one occurrence; returns the entry's index when this is its first.
    private func count(_ message: String, line: Int) -> Int? {
        if let index = indexByMessage[message] {
            entries[index].occurrences += 1
            return nil
        }
        guard maxMessages == 0 || entries.count < maxMessages else { return nil }
        indexByMessage[message] = entries.count
        entries.append(Entry(message: message, occurrences: 1, lineNumber: line, value: ""))
        return entries.count - 1
    }

    /// A row's first bytes as an example: its line break dropped, cut at `exampleLimit` bytes
    /// without splitting a character; bytes that are not UTF-8 become U+FFFD.
    static func example(_ bytes: [UInt8]) -> String {
        var end = bytes.count
        if end <= exampleLimit + 2 {
            if end > 0, bytes[end - 1] == 0x0A {
                end -= 1
                if end > 0, bytes[end - 1] == 0x0D { end -= 1 }
            }
        }
        if end > exampleLimit {
            end = exampleLimit
            var back = end
            while back > end - 4, back > 0, bytes[back] & 0xC0 == 0x80 { back -= 1 }
            if bytes[back] & 0xC0 != 0x80 { end = back }
        }
        return String(decoding: bytes[0..<end], as: UTF8.self)
    }
}
