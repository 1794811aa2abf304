import CScan

/// Finds the elements of a top-level JSON array window by window, without parsing them: a
/// structural scan (strings, escapes, nesting) that also checks what lies between elements
/// (`[`, `,`, `]`, whitespace, nothing after the array). Each element is then parsed on its own
/// by simdjson, in parallel, so a huge array streams through bounded memory.
struct JSONArrayScanner {
    /// One element: its bytes and the line it starts on, counted from the scan's `firstLine`.
    struct Element {
        var start: Int
        var end: Int
        var line: Int
    }

    enum Outcome: Equatable {
        /// The data ran out: scanning goes on at `resume` when more is there.
        case needMore(resume: Int)
        /// The array and what follows it are complete and well formed.
        case finished
        /// Not valid JSON at `offset`.
        case syntax(offset: Int, message: String)
        /// `shouldStop` said so: the run is being stopped.
        case stopped
        /// With `stopsAtArrayEnd`: the array ended; `end` is one past its `]`.
        case arrayEnded(end: Int)
    }

    /// Stop at the array's `]` (an array that is a member's value) instead of checking that
    /// nothing follows it.
    var stopsAtArrayEnd = false

    private enum State {
        case beforeArray, firstElementOrEnd, element, separatorOrEnd, afterArray
    }

    private var state = State.beforeArray
    /// Line breaks passed so far, relative to the current scan's `firstLine`.
    private(set) var lines = 0

    /// Scanning goes on at an element's start inside the array (a second reading of its rows).
    mutating func resumeAtElement() { state = .element }

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Whether the bytes from `start` begin with `[` after optional whitespace (then the scanner
    /// applies; otherwise the document is read whole).
    static func startsWithArray(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Bool {
        var index = start
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        return index < bytes.count && bytes[index] == UInt8(ascii: "[")
    }

    /// Where a value that starts at `start` ends (one past its last byte), or nil when the data
    /// ends first. Counts its line breaks into `lines`. Objects, arrays and strings go to the
    /// SIMD kernel (the same rules as `ValueSkipper`, block by block); numbers and literals are short.
    private func valueEnd(_ base: UnsafeRawPointer, from start: Int, to end: Int, lines: inout Int) -> Int? {
        let first = base.load(fromByteOffset: start, as: UInt8.self)
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") || first == UInt8(ascii: "\"") {
            var valueLines = 0
            let length = pfscan_json_value_end(Self.kernel, base.advanced(by: start).assumingMemoryBound(to: UInt8.self),
                                               end - start, &valueLines)
            guard length > 0 else { return nil }
            lines += valueLines
            return start + length
        }
        var skipper = ValueSkipper()
        return skipper.advance(base, from: start, to: end, lines: &lines)
    }

    private static let kernel = pfscan_best_kernel()

    /// Scans `start..<end` (`isFinal`: the input ends there), appending complete elements.
    /// `shouldStop` is asked every 1024 elements (a window holds hundreds of thousands).
    mutating func scan(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, isFinal: Bool,
                       into elements: inout [Element], shouldStop: () -> Bool = { false }) -> Outcome {
        guard let base = bytes.baseAddress else { return isFinal ? .syntax(offset: start, message: "empty document") : .needMore(resume: start) }
        var index = start
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if Self.isSpace(byte) {
                if byte == 0x0A { lines += 1 }
                index += 1
                continue
            }
            switch state {
            case .beforeArray:
                guard byte == UInt8(ascii: "[") else { return .syntax(offset: index, message: "expected an array") }
                state = .firstElementOrEnd
                index += 1
            case .firstElementOrEnd, .element:
                if byte == UInt8(ascii: "]") {
                    if state == .element { return .syntax(offset: index, message: "a value must follow a comma") }
                    state = .afterArray
                    index += 1
                    if stopsAtArrayEnd { return .arrayEnded(end: index) }
                    continue
                }
                if byte == UInt8(ascii: ",") { return .syntax(offset: index, message: "expected a value") }
                var valueLines = lines
                guard let valueEnd = valueEnd(base, from: index, to: end, lines: &valueLines) else {
                    if isFinal { return .syntax(offset: end, message: "the document ends inside a value") }
                    return .needMore(resume: index)
                }
                elements.append(Element(start: index, end: valueEnd, line: lines))
                if elements.count % 1024 == 0, shouldStop() { return .stopped }
                lines = valueLines
                state = .separatorOrEnd
                index = valueEnd
            case .separatorOrEnd:
                if byte == UInt8(ascii: ",") {
                    state = .element
                } else if byte == UInt8(ascii: "]") {
                    state = .afterArray
                    if stopsAtArrayEnd { return .arrayEnded(end: index + 1) }
                } else {
                    return .syntax(offset: index, message: "expected ',' or ']' after an element")
                }
                index += 1
            case .afterArray:
                return .syntax(offset: index, message: "content after the end of the array")
            }
        }
        if !isFinal { return .needMore(resume: end) }
        return state == .afterArray ? .finished : .syntax(offset: end, message: "the document ends before the array does")
    }

    /// Follows one JSON value's structure (strings, escapes, nesting) to its end without parsing
    /// it. Resumable: a value longer than the window is followed across windows.
    struct ValueSkipper {
        private var started = false
        private var isScalar = false
        private var depth = 0
        private var inString = false
        private var escaped = false

        /// Advances over `start..<end`: one past the value's last byte, or nil when the bytes ran
        /// out first. Counts line breaks inside the value into `lines`.
        mutating func advance(_ base: UnsafeRawPointer, from start: Int, to end: Int, lines: inout Int) -> Int? {
            var index = start
            if !started, index < end {
                started = true
                let first = base.load(fromByteOffset: index, as: UInt8.self)
                isScalar = first != UInt8(ascii: "{") && first != UInt8(ascii: "[") && first != UInt8(ascii: "\"")
            }
            while index < end {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                if isScalar {
                    // A number or literal: up to whitespace, a comma or the closing bracket.
                    if JSONArrayScanner.isSpace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") { return index }
                } else if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                        if depth == 0 { return index + 1 }
                    } else if byte == 0x0A {
                        lines += 1
                    }
                } else {
                    switch byte {
                    case UInt8(ascii: "\""): inString = true
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { return index + 1 }
                    case 0x0A: lines += 1
                    default: break
                    }
                }
                index += 1
            }
            return nil
        }
    }

    /// Continues after a value that was skipped as a whole.
    mutating func skippedValue() { state = .separatorOrEnd }

    /// Starts numbering lines afresh (a new window); returns the lines counted so far.
    mutating func takeLines() -> Int {
        defer { lines = 0 }
        return lines
    }
}
