import CPattern

/// A `pattern` constraint compiled once with PCRE2 (JIT where the platform has it). One per
/// worker: a compiled pattern keeps its match data, so it is used by one thread at a time.
final class PatternMatcher {
    private let pattern: OpaquePointer

    /// Why a pattern does not compile: PCRE2's message and the offset in the pattern.
    struct Failure: Error, Equatable {
        let message: String
        let offset: Int
    }

    /// `wholeValue`: the value must match as a whole; otherwise a match anywhere in it is enough.
    init(_ text: String, wholeValue: Bool) throws(Failure) {
        var bytes = Array(text.utf8)
        var message = [CChar](repeating: 0, count: 256)
        var offset = 0
        let compiled = bytes.withUnsafeMutableBytes { pattern in
            message.withUnsafeMutableBufferPointer { message in
                pfre_compile(pattern.baseAddress?.assumingMemoryBound(to: CChar.self), pattern.count, wholeValue ? 1 : 0,
                             message.baseAddress, message.count, &offset)
            }
        }
        guard let compiled else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw Failure(message: text.isEmpty ? "cannot compile it" : text, offset: offset)
        }
        pattern = compiled
    }

    deinit { pfre_free(pattern) }

    /// Whether the UTF-8 value matches. A value on which PCRE2 gives up (a match limit) does not.
    @inline(__always)
    func matches(_ value: UnsafeRawBufferPointer) -> Bool {
        pfre_match(pattern, value.baseAddress, value.count) == 1
    }

    var isJIT: Bool { pfre_is_jit(pattern) == 1 }
}
