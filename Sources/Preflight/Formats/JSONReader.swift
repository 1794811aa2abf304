/// Reads a JSON document whose records are a top-level array, or the array under the first of
/// `data`, `records`, `items`, `rows`; element by element, each flattened by `JSONParser`.
/// The whole document is checked: any syntax error makes it invalid, wherever it is.
final class JSONReader {
    /// Why a document as a whole is not acceptable.
    enum Failure: Error {
        /// Not valid JSON; `offset` is the byte where simdjson stopped, when known.
        case syntax(message: String, offset: Int?)
        case controlCharacter
        case invalidUTF8
        /// Valid JSON without an array of records.
        case wrongShape

        /// The detail of `invalid_file`; `place` is "line L, byte offset B" (nil when unknown).
        func detail(at place: String?) -> String {
            switch self {
            case .wrongShape:
                return "expected an array of objects, or an object with a data, records, items or rows array"
            case .invalidUTF8: return "invalid UTF-8 at " + (place ?? "an unknown place")
            case .controlCharacter: return "control character in a string at " + (place ?? "an unknown place")
            case .syntax(let message, _): return place.map { "syntax error at \($0): \(message)" } ?? "syntax error: \(message)"
            }
        }
    }

    let recordCap: Int
    private let parser: JSONParser

    init(recordCap: Int) throws(PreflightError) {
        parser = try JSONParser()
        self.recordCap = recordCap
    }

    /// Reads the document in `bytes`, which must have simdjson's padding readable after it.
    /// Returns nil when the whole document was read, or why it is not acceptable.
    func read(_ bytes: UnsafeRawBufferPointer, readable: Int, documentStart: Int,
              _ visit: (JSONRow) throws(PreflightError) -> Void) throws(PreflightError) -> Failure? {
        precondition(readable - bytes.count >= InputBytes.padding, "the JSON reader needs a padded buffer")
        let length = bytes.count - documentStart
        /// A failure with its offset made absolute.
        func located(_ failure: Failure, _ offset: Int?) -> Failure {
            if case .syntax(let message, _) = failure {
                return .syntax(message: message, offset: offset.map { documentStart + $0 })
            }
            return failure
        }
        if case .failed(let failure, let offset) = try parser.beginDocument(bytes.baseAddress! + documentStart,
                                                                             length: length,
                                                                             capacity: readable - documentStart) {
            return located(failure, offset)
        }
        var line = 1
        var counted = 0  // line numbers are known up to this byte
        while let (startOffset, endOffset, parsed) = try parser.nextElement() {
            if case .failed(let failure, let offset) = parsed { return located(failure, offset) }
            let start = documentStart + startOffset
            let end = documentStart + endOffset
            line += Bytes.countLF(bytes, from: counted, to: start)
            counted = start
            let content: JSONRow.Content
            switch parsed {
            case _ where end - start > recordCap: content = .tooLarge
            case .object(let object): content = .object(object)
            default: content = .notAnObject
            }
            try visit(JSONRow(line: line, start: start, end: end, next: end, content: content))
        }
        return nil
    }
}
