/// A wrapper object (`{"data": [...]}`) located without parsing its values, so that its array can
/// stream like a top-level one instead of the whole document being read into memory.
///
/// A structural walk over the top-level object, window by window, notes each member's name and
/// where its value lies (arrays by the array scanner's SIMD element skipping, other values by
/// their structure). The records' array is the one the wrapper rule picks: for `data`, `records`,
/// `items`, `rows` in turn, the last copy of the name, if its value is an array. Everything else
/// in the document — the object without that array's elements — is then checked whole by
/// simdjson (`check`), and the array's elements by the array driver. Anything unexpected (not an
/// object, a name written with escapes, a structural error, no wrapper, more than `outsideLimit`
/// bytes outside the array) returns nil: the document is then read whole, as before, and
/// simdjson says what is wrong.
enum JSONWrapperScan {
    struct Location {
        /// The array's `[`, one past its `]`, and the line the `[` is on.
        var start: Int
        var end: Int
        var line: Int
        /// The input's size.
        var size: Int
    }

    /// Tests only: false reads every wrapper document whole (the reference the stream must equal).
    nonisolated(unsafe) static var streams = true

    /// Walks `source` (its first window read) from `contentStart` to its end.
    static func locate(_ source: WindowedSource, from contentStart: Int) throws(PreflightError) -> Location? {
        var walk = Walk(source: source, position: contentStart)
        return try walk.run()
    }

    /// Bytes outside the array are held in memory to be checked: beyond this, the document is
    /// read whole instead (a wrapper with other large members is rare).
    static let outsideLimit = 64 << 20

    /// Checks the document without the array's elements (`[` and `]` kept): its bytes before the
    /// array and after it, read again from `source`, parsed whole by simdjson, which must find the
    /// same wrapper with an empty array. False when they are not valid or too large.
    static func check(_ location: Location, in source: WindowedSource, from contentStart: Int, lineCap: Int)
        throws(PreflightError) -> Bool {
        guard (location.start - contentStart) + (location.size - location.end) + 2 <= outsideLimit else { return false }
        var outside: [UInt8] = []
        outside.reserveCapacity((location.start - contentStart) + (location.size - location.end) + 2)
        try source.refill(keepingFrom: 0)
        while true {
            let offset = source.bytesRead - source.count
            let from = max(contentStart, offset), to = min(location.start, source.bytesRead)
            if from < to { outside.append(contentsOf: source.bytes[(from - offset)..<(to - offset)]) }
            if source.bytesRead >= location.start || source.atEnd { break }
            try source.refill(keepingFrom: source.count)
        }
        outside.append(contentsOf: [UInt8(ascii: "["), UInt8(ascii: "]")])
        try source.skip(to: location.end)
        while true {
            outside.append(contentsOf: source.bytes)
            if source.atEnd { break }
            try source.refill(keepingFrom: source.count)
        }
        let input = outside.withUnsafeBytes { InputBytes.copying($0) }
        let reader = try JSONReader(recordCap: lineCap)
        var elements = 0
        let failure = try reader.read(input.bytes, readable: input.readable, documentStart: 0) {
            (_) throws(PreflightError) in elements += 1
        }
        return failure == nil && elements == 0
    }

    private struct Walk {
        let source: WindowedSource
        var position: Int
        /// The line `position` is on.
        var line = 1
        /// The wrapper-named members seen: name index, whether an array, where its value lies.
        var members: [(name: Int, isArray: Bool, start: Int, end: Int, line: Int)] = []

        init(source: WindowedSource, position: Int) {
            self.source = source
            self.position = position
        }

        private var offset: Int { source.bytesRead - source.count }
        private var bytes: UnsafeRawBufferPointer { source.bytes }

        /// Moves on to the next window, keeping the bytes from `keep` (at most the position).
        private mutating func more(keeping keep: Int) throws(PreflightError) {
            let kept = keep
            try source.refill(keepingFrom: kept)
            position -= kept
        }

        /// Skips whitespace; false when the input ends first.
        private mutating func skipSpace() throws(PreflightError) -> Bool {
            while true {
                while position < source.count, JSONArrayScanner.isSpace(bytes[position]) {
                    if bytes[position] == 0x0A { line += 1 }
                    position += 1
                }
                if position < source.count { return true }
                if source.atEnd { return false }
                try more(keeping: position)
            }
        }

        mutating func run() throws(PreflightError) -> Location? {
            guard try skipSpace(), bytes[position] == UInt8(ascii: "{") else { return nil }
            position += 1
            guard try skipSpace(), bytes[position] != UInt8(ascii: "}") else { return nil }
            while true {
                guard try skipSpace(), bytes[position] == UInt8(ascii: "\""), let name = try memberName() else { return nil }
                guard try skipSpace(), bytes[position] == UInt8(ascii: ":") else { return nil }
                position += 1
                guard try skipSpace() else { return nil }
                let start = offset + position, startLine = line
                let first = bytes[position]
                if first == UInt8(ascii: "[") {
                    guard try skipArray() else { return nil }
                } else if first == UInt8(ascii: "{") || first == UInt8(ascii: "\"") {
                    guard try skipValue() else { return nil }
                } else {
                    try skipScalar()
                }
                if let name {
                    members.append((name, first == UInt8(ascii: "["), start, offset + position, startLine))
                }
                guard try skipSpace() else { return nil }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard bytes[position] == UInt8(ascii: "}") else { return nil }
                position += 1
                break
            }
            guard try !skipSpace() else { return nil }  // something after the object
            for name in JSONParser.wrapperNames.indices {
                guard let last = members.last(where: { $0.name == name }) else { continue }
                if last.isArray { return Location(start: last.start, end: last.end, line: last.line, size: source.bytesRead) }
            }
            return nil
        }

        /// Reads a member's name (at its `"`): `.some(index)` of the wrapper name it is,
        /// `.some(nil)` for any other name, and nil when the walk gives up: a name with an escape
        /// is not decoded (simdjson decides), nor one longer than the window or unterminated.
        private mutating func memberName() throws(PreflightError) -> Int?? {
            while true {
                var index = position + 1
                while index < source.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
                    index += 1
                }
                if index < source.count {
                    if bytes[index] == UInt8(ascii: "\\") { return nil }  // escaped: let simdjson decide
                    let name = UnsafeRawBufferPointer(rebasing: bytes[(position + 1)..<index])
                    position = index + 1
                    let found = JSONParser.wrapperNames.firstIndex { $0.elementsEqual(name) }
                    return .some(found)
                }
                if source.atEnd || position == 0 { return nil }  // unterminated, or longer than the window
                try more(keeping: position)
            }
        }

        /// Skips an array (at its `[`) element by element.
        private mutating func skipArray() throws(PreflightError) -> Bool {
            var scanner = JSONArrayScanner()
            scanner.stopsAtArrayEnd = true
            var elements: [JSONArrayScanner.Element] = []
            while true {
                elements.removeAll(keepingCapacity: true)
                let outcome = scanner.scan(bytes, from: position, to: source.count, isFinal: source.atEnd, into: &elements)
                line += scanner.takeLines()
                switch outcome {
                case .arrayEnded(let end):
                    position = end
                    return true
                case .needMore(let resume):
                    position = resume
                    if resume == 0, source.isFull {
                        // An element longer than the window: followed by its structure instead.
                        guard try skipValue() else { return false }
                        scanner.skippedValue()
                        continue
                    }
                    try more(keeping: resume)
                default:
                    return false
                }
            }
        }

        /// Skips an object or a string by its structure, across windows.
        private mutating func skipValue() throws(PreflightError) -> Bool {
            var skipper = JSONArrayScanner.ValueSkipper()
            while true {
                if let end = skipper.advance(bytes.baseAddress!, from: position, to: source.count, lines: &line) {
                    position = end
                    return true
                }
                if source.atEnd { return false }
                position = source.count
                try more(keeping: source.count)
            }
        }

        /// Skips a number or literal: up to whitespace, `,` or `}` (simdjson checks it later).
        private mutating func skipScalar() throws(PreflightError) {
            while true {
                while position < source.count {
                    let byte = bytes[position]
                    if JSONArrayScanner.isSpace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") { return }
                    position += 1
                }
                if source.atEnd { return }
                try more(keeping: source.count)
            }
        }
    }
}
