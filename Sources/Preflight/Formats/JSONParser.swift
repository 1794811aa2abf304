#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSimdJSON

/// The one Swift face of the CSimdJSON shim: it owns a parser, maps the shim's statuses once,
/// and hands on the members the shim lists for an object (`JSONObject`).
final class JSONParser {
    /// What parsing one JSON text gave.
    enum Parsed {
        /// An object's members; valid until the next call on this parser.
        case object(JSONObject)
        /// A valid JSON value that is not an object.
        case notAnObject
        /// Not acceptable JSON; the offset (from the text's start, when the shim knows it) is
        /// given beside the failure, whose own `offset` is nil.
        case failed(JSONReader.Failure, offset: Int?)
    }

    /// How a document starts.
    enum Start {
        /// A top-level array: its elements come from `next`.
        case array
        /// A top-level object whose records are in member `member`'s array: elements come from `next`.
        case wrapper(member: Int)
        case failed(JSONReader.Failure, offset: Int?)
    }

    /// The wrapper members, in the order they are preferred: the first name whose last copy in
    /// the object holds an array is the one.
    static let wrapperNames: [[UInt8]] = ["data", "records", "items", "rows"].map { Array($0.utf8) }

    private let parser: OpaquePointer
    private let flattener = JSONFlattener()

    init() throws(PreflightError) {
        guard let parser = csj_parser_create() else { throw .outOfMemory }
        self.parser = parser
    }

    deinit { csj_parser_destroy(parser) }

    /// Parses one JSON text (an NDJSON line, an array element); `capacity` bytes are readable at
    /// `bytes` (at least `length` + simdjson's padding).
    func parseObject(_ bytes: UnsafeRawPointer, length: Int, capacity: Int) throws(PreflightError) -> Parsed {
        var result = csj_result()
        let status = csj_parse_object(parser, bytes, length, capacity, &result)
        return try parsed(status, result)
    }

    /// Starts the document `bytes[0..<length]`: checks it whole when it is an object, and picks
    /// the array its records are in.
    func beginDocument(_ bytes: UnsafeRawPointer, length: Int, capacity: Int) throws(PreflightError) -> Start {
        var result = csj_result()
        let status = csj_document_begin(parser, bytes, length, capacity, &result)
        if status == Int32(CSJ_OK) { return .array }
        guard status == Int32(CSJ_OBJECT) else {
            if let failure = try Self.failure(status, result) { return .failed(failure.0, offset: failure.1) }
            throw .parserFailure("simdjson shim status \(status)")
        }
        let members = UnsafeBufferPointer(start: result.entries, count: result.entry_count)
        guard let member = Self.wrapperMember(members) else { return .failed(.wrongShape, offset: nil) }
        let entered = csj_document_enter(parser, member, &result)
        if entered == Int32(CSJ_OK) { return .wrapper(member: member) }
        if let failure = try Self.failure(entered, result) { return .failed(failure.0, offset: failure.1) }
        throw .parserFailure("simdjson shim status \(entered)")
    }

    /// The next element of the document's records: nil at the end, else the element's byte range
    /// (from the document's start) and what it holds.
    func nextElement() throws(PreflightError) -> (start: Int, end: Int, parsed: Parsed)? {
        var result = csj_result()
        let status = csj_document_next(parser, &result)
        if status == Int32(CSJ_END) { return nil }
        return (result.start_offset, result.end_offset, try parsed(status, result))
    }

    /// The member holding the records: for each wrapper name in order, its last copy; the first
    /// of those that is an array.
    static func wrapperMember(_ members: UnsafeBufferPointer<csj_entry>) -> Int? {
        for name in wrapperNames {
            var last: Int? = nil
            for index in members.indices where members[index].depth == 1 {
                let member = members[index]
                if member.key_length == name.count,
                   name.withUnsafeBytes({ memcmp($0.baseAddress!, member.key, name.count) == 0 }) {
                    last = index
                }
            }
            if let last, members[last].kind == Int32(CSJ_KIND_ARRAY) { return last }
        }
        return nil
    }

    private func parsed(_ status: Int32, _ result: csj_result) throws(PreflightError) -> Parsed {
        switch status {
        case Int32(CSJ_OK):
            return .object(JSONObject(members: UnsafeBufferPointer(start: result.entries, count: result.entry_count),
                                      flattener: flattener))
        case Int32(CSJ_NOT_AN_OBJECT): return .notAnObject
        default:
            if let failure = try Self.failure(status, result) { return .failed(failure.0, offset: failure.1) }
            throw .parserFailure("simdjson shim status \(status)")
        }
    }

    /// The failure a status stands for, or nil for a status that is not one.
    private static func failure(_ status: Int32, _ result: csj_result) throws(PreflightError)
        -> (JSONReader.Failure, Int?)? {
        let offset = result.error_offset == CSJ_NO_OFFSET ? nil : Int(result.error_offset)
        switch status {
        case Int32(CSJ_SYNTAX):
            let message = result.error_message.map { String(cString: $0) } ?? "syntax error"
            return (.syntax(message: message, offset: nil), offset)
        case Int32(CSJ_CONTROL_CHARACTER): return (.controlCharacter, offset)
        case Int32(CSJ_INVALID_UTF8): return (.invalidUTF8, offset)
        case Int32(CSJ_WRONG_SHAPE): return (.wrongShape, offset)
        case Int32(CSJ_OUT_OF_MEMORY): throw .outOfMemory
        default: return nil
        }
    }
}

/// A JSON object as the shim listed it: its members in document order, a nested object's own
/// members after it one level deeper. Rules that know the object's shape read the members
/// directly; `flattened()` gives the row as SPEC §2 sees it. Valid only until its parser parses
/// again.
struct JSONObject {
    enum Kind: Int32 {
        case string = 0, number, boolean, null, array, object
    }

    let members: UnsafeBufferPointer<csj_entry>
    /// The parser's flattener, which holds the flattened view's buffers.
    unowned(unsafe) let flattener: JSONFlattener

    var count: Int { members.count }

    /// 1 for a member of the object itself, one more per enclosing nested object.
    @inline(__always)
    func depth(_ index: Int) -> Int32 { members[index].depth }

    @inline(__always)
    func kind(_ index: Int) -> Kind { Kind(rawValue: members[index].kind) ?? .string }

    /// The member's own key (not dot-joined).
    @inline(__always)
    func key(_ index: Int) -> UnsafeRawBufferPointer { members[index].keyBytes }

    /// A string unescaped, a number or boolean as written, an array as written in the input (not
    /// yet compact); empty for null and for a nested object.
    @inline(__always)
    func value(_ index: Int) -> UnsafeRawBufferPointer { members[index].valueBytes }

    /// The row's attributes (SPEC §2): dot-joined names, arrays as compact JSON text.
    func flattened() -> JSONFields { flattener.flatten(members) }
}

/// A JSON object as a row sees it (SPEC §2): nested objects' members under dot-joined names
/// (`a.b`), arrays as their compact JSON text, strings unescaped, numbers and booleans as
/// written, null as null. Valid only until its parser parses again.
struct JSONFields {
    typealias Kind = JSONObject.Kind

    let fields: UnsafeBufferPointer<csj_entry>
    /// The member (index in `JSONObject.members`) each field comes from; nil: field `i` is member `i`.
    let sources: UnsafePointer<Int>?

    var count: Int { fields.count }

    @inline(__always)
    func key(_ index: Int) -> UnsafeRawBufferPointer { fields[index].keyBytes }

    @inline(__always)
    func value(_ index: Int) -> UnsafeRawBufferPointer { fields[index].valueBytes }

    func kind(_ index: Int) -> Kind { Kind(rawValue: fields[index].kind) ?? .string }

    /// The member field `index` comes from.
    func source(_ index: Int) -> Int { sources?[index] ?? index }

    /// No attributes, or every one null or the empty string.
    var isEmpty: Bool {
        for index in 0..<count {
            let kind = kind(index)
            if kind != .null && !(kind == .string && fields[index].value_length == 0) { return false }
        }
        return true
    }
}

extension csj_entry {
    /// The entry's key and value as byte ranges (valid while the parser's buffers are).
    var keyBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: key, count: key_length) }
    var valueBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: value, count: value_length) }
}
