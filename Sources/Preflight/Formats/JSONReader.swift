import CSimdJSON

/// Reads a JSON document whose records are a top-level array, or the array under the first of
/// `data`, `records`, `items`, `rows`; element by element, each flattened by the shim.
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
    private let parser: OpaquePointer

    init(recordCap: Int) throws(PreflightError) {
        guard let parser = csj_parser_create() else { throw .outOfMemory }
        self.parser = parser
        self.recordCap = recordCap
    }

    deinit { csj_parser_destroy(parser) }

    /// Reads the document in `bytes`, which must have simdjson's padding readable after it.
    /// Returns nil when the whole document was read, or why it is not acceptable.
    func read(_ bytes: UnsafeRawBufferPointer, readable: Int, documentStart: Int,
              _ visit: (JSONRow) throws(PreflightError) -> Void) throws(PreflightError) -> Failure? {
        precondition(readable - bytes.count >= InputBytes.padding, "the JSON reader needs a padded buffer")
        var result = csj_result()
        let length = bytes.count - documentStart
        let begin = csj_document_begin(parser, bytes.baseAddress! + documentStart, length,
                                       readable - documentStart, &result)
        if let failure = try failure(begin, result, documentStart: documentStart) { return failure }

        var line = 1
        var counted = 0  // line numbers are known up to this byte
        while true {
            let status = csj_document_next(parser, &result)
            if status == Int32(CSJ_END) { return nil }
            if let failure = try failure(status, result, documentStart: documentStart) { return failure }
            let start = documentStart + result.start_offset
            let end = documentStart + result.end_offset
            line += Bytes.countLF(bytes, from: counted, to: start)
            counted = start
            let content: JSONRow.Content
            if end - start > recordCap {
                content = .tooLarge
            } else if status == Int32(CSJ_NOT_AN_OBJECT) {
                content = .notAnObject
            } else {
                content = .object(JSONObject(result))
            }
            try visit(JSONRow(line: line, start: start, end: end, next: end, content: content))
        }
    }

    private func failure(_ status: Int32, _ result: csj_result, documentStart: Int) throws(PreflightError) -> Failure? {
        switch status {
        case Int32(CSJ_OK), Int32(CSJ_NOT_AN_OBJECT): return nil
        case Int32(CSJ_SYNTAX):
            let offset = result.error_offset == CSJ_NO_OFFSET ? nil : documentStart + result.error_offset
            return .syntax(message: JSONStatus.message(result) ?? "syntax error", offset: offset)
        case Int32(CSJ_CONTROL_CHARACTER): return .controlCharacter
        case Int32(CSJ_INVALID_UTF8): return .invalidUTF8
        case Int32(CSJ_WRONG_SHAPE): return .wrongShape
        case Int32(CSJ_OUT_OF_MEMORY): throw .outOfMemory
        default: throw .parserFailure("simdjson shim status \(status)")
        }
    }
}
