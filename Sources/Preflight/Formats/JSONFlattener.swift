import CSimdJSON

/// Turns the members the shim lists for an object into a row's attributes: a nested object's
/// members get dot-joined names (`customer.address.city`), an empty nested object gives nothing,
/// an array is shown as its compact JSON text (no whitespace outside strings, strings escaped the
/// one way `JSONCompact` writes them). An object with neither nested objects nor arrays (the
/// common row) is used as the shim listed it, without a copy. One per parser; its buffers are
/// reused from row to row.
final class JSONFlattener {
    /// The row's buffers, as plain pointers in one value: the flattening works on a local copy
    /// of it (stored properties of a class would cost an exclusivity check per access).
    private struct Buffers {
        /// The attributes of the current row, with where their name and value are in the arena
        /// (-1: where the shim put them); resolved to pointers once the arena stops growing.
        var fields: UnsafeMutablePointer<csj_entry>
        var keyOffsets: UnsafeMutablePointer<Int>
        var valueOffsets: UnsafeMutablePointer<Int>
        /// The member each attribute comes from.
        var sources: UnsafeMutablePointer<Int>
        var capacity = 64
        /// Names and array texts built for the current row.
        var arena: UnsafeMutablePointer<UInt8>
        var arenaCapacity = 4096
        /// The current prefix (`a.b.`), and its length at each depth (at most the shim's limit).
        var prefix: UnsafeMutablePointer<UInt8>
        var prefixCapacity = 1024
        let prefixLengths: UnsafeMutablePointer<Int>
        static let maxDepth = 1024

        init() {
            fields = .allocate(capacity: capacity)
            keyOffsets = .allocate(capacity: capacity)
            valueOffsets = .allocate(capacity: capacity)
            sources = .allocate(capacity: capacity)
            arena = .allocate(capacity: arenaCapacity)
            prefix = .allocate(capacity: prefixCapacity)
            prefixLengths = .allocate(capacity: Self.maxDepth + 1)
        }

        func deallocate() {
            fields.deallocate()
            keyOffsets.deallocate()
            valueOffsets.deallocate()
            sources.deallocate()
            arena.deallocate()
            prefix.deallocate()
            prefixLengths.deallocate()
        }

        mutating func reserveArena(_ needed: Int, keeping used: Int) {
            Self.reserve(&arena, capacity: &arenaCapacity, needed, keeping: used)
        }

        mutating func reservePrefix(_ needed: Int, keeping used: Int) {
            Self.reserve(&prefix, capacity: &prefixCapacity, needed, keeping: used)
        }

        /// Grows `buffer` (doubling) to hold `needed` bytes, keeping its first `used`.
        private static func reserve(_ buffer: inout UnsafeMutablePointer<UInt8>, capacity: inout Int, _ needed: Int,
                                    keeping used: Int) {
            guard needed > capacity else { return }
            while capacity < needed { capacity *= 2 }
            let new = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            new.update(from: buffer, count: used)
            buffer.deallocate()
            buffer = new
        }

        /// Doubles the room for attributes.
        mutating func grow() {
            func grown<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
                let new = UnsafeMutablePointer<T>.allocate(capacity: capacity * 2)
                new.moveInitialize(from: old, count: capacity)
                old.deallocate()
                return new
            }
            fields = grown(fields)
            keyOffsets = grown(keyOffsets)
            valueOffsets = grown(valueOffsets)
            sources = grown(sources)
            capacity *= 2
        }
    }

    private var buffers = Buffers()
    /// Scratch for one array's compact text.
    private var compact: [UInt8] = []

    deinit { buffers.deallocate() }

    func flatten(_ members: UnsafeBufferPointer<csj_entry>) -> JSONFields {
        var plain = true
        for member in members where member.depth != 1 || member.kind >= Int32(CSJ_KIND_ARRAY) {
            plain = false
            break
        }
        if plain { return JSONFields(fields: members, sources: nil) }
        return flattenNested(members)
    }

    private func flattenNested(_ members: UnsafeBufferPointer<csj_entry>) -> JSONFields {
        var b = buffers
        defer { buffers = b }
        var count = 0
        var arenaCount = 0
        var prefixCount = 0
        var depthCount = 0  // entries in prefixLengths: the objects enclosing the current member
        for (memberIndex, member) in members.enumerated() {
            let depth = Int(member.depth)
            // Back out to this member's level: the prefix of its enclosing objects.
            if depthCount > depth - 1 {
                depthCount = max(0, depth - 1)
                prefixCount = depthCount > 0 ? b.prefixLengths[depthCount - 1] : 0
            }
            let key = member.keyBytes
            if member.kind == Int32(CSJ_KIND_OBJECT) {
                b.reservePrefix(prefixCount + key.count + 1, keeping: prefixCount)
                if let base = key.baseAddress {
                    (b.prefix + prefixCount).update(from: base.assumingMemoryBound(to: UInt8.self), count: key.count)
                }
                prefixCount += key.count
                b.prefix[prefixCount] = UInt8(ascii: ".")
                prefixCount += 1
                if depthCount < Buffers.maxDepth {
                    b.prefixLengths[depthCount] = prefixCount
                    depthCount += 1
                }
                continue
            }
            if count == b.capacity { b.grow() }
            b.fields[count] = member
            b.fields[count].depth = 1
            b.sources[count] = memberIndex
            b.keyOffsets[count] = -1
            b.valueOffsets[count] = -1
            if depth > 1 {
                b.reserveArena(arenaCount + prefixCount + key.count, keeping: arenaCount)
                b.keyOffsets[count] = arenaCount
                (b.arena + arenaCount).update(from: b.prefix, count: prefixCount)
                if let base = key.baseAddress {
                    (b.arena + arenaCount + prefixCount).update(from: base.assumingMemoryBound(to: UInt8.self),
                                                                count: key.count)
                }
                arenaCount += prefixCount + key.count
                b.fields[count].key_length = prefixCount + key.count
            }
            if member.kind == Int32(CSJ_KIND_ARRAY) {
                compact.removeAll(keepingCapacity: true)
                JSONCompact.append(UnsafeRawBufferPointer(start: member.value, count: member.value_length), to: &compact)
                b.reserveArena(arenaCount + compact.count, keeping: arenaCount)
                b.valueOffsets[count] = arenaCount
                let arena = b.arena
                compact.withUnsafeBufferPointer { (arena + arenaCount).update(from: $0.baseAddress!, count: $0.count) }
                arenaCount += compact.count
                b.fields[count].value_length = compact.count
            }
            count += 1
        }
        // The arena no longer grows: its bytes can be pointed at.
        for index in 0..<count {
            if b.keyOffsets[index] >= 0 { b.fields[index].key = UnsafePointer(b.arena + b.keyOffsets[index]) }
            if b.valueOffsets[index] >= 0 { b.fields[index].value = UnsafePointer(b.arena + b.valueOffsets[index]) }
        }
        return JSONFields(fields: UnsafeBufferPointer(start: b.fields, count: count), sources: b.sources)
    }
}

/// The compact text of a checked JSON value: whitespace outside strings dropped, each string
/// written again from its unescaped content with the fewest escapes (`\"`, `\\`, `\n`, `\r`,
/// `\t`, `\b`, `\f`, `\u00XX` for the other control characters; everything else as UTF-8).
enum JSONCompact {
    static func append(_ text: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var index = 0
        let count = text.count
        while index < count {
            let byte = text[index]
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                index += 1
            case Bytes.quote:
                index = appendString(text, from: index + 1, to: &out)
            default:
                out.append(byte)
                index += 1
            }
        }
    }

    /// Writes the string whose content starts at `start`; returns the index after its closing quote.
    private static func appendString(_ text: UnsafeRawBufferPointer, from start: Int, to out: inout [UInt8]) -> Int {
        out.append(Bytes.quote)
        var index = start
        while index < text.count {
            let byte = text[index]
            if byte == Bytes.quote {
                out.append(Bytes.quote)
                return index + 1
            }
            if byte != UInt8(ascii: "\\") {
                out.append(byte)  // a raw byte: never a quote, backslash or control character here
                index += 1
                continue
            }
            let escape = index + 1 < text.count ? text[index + 1] : 0
            index += 2
            switch escape {
            case UInt8(ascii: "b"): appendEscaped(0x08, to: &out)
            case UInt8(ascii: "f"): appendEscaped(0x0C, to: &out)
            case UInt8(ascii: "n"): appendEscaped(0x0A, to: &out)
            case UInt8(ascii: "r"): appendEscaped(0x0D, to: &out)
            case UInt8(ascii: "t"): appendEscaped(0x09, to: &out)
            case UInt8(ascii: "u"):
                var scalar = hex4(text, at: index)
                index += 4
                if scalar >= 0xD800, scalar < 0xDC00, index + 6 <= text.count, text[index] == UInt8(ascii: "\\"),
                   text[index + 1] == UInt8(ascii: "u") {
                    let low = hex4(text, at: index + 2)
                    if low >= 0xDC00, low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                }
                appendUTF8(scalar, to: &out)
            default: appendEscaped(escape, to: &out)  // `"`, `\`, `/`
            }
        }
        return index
    }

    /// One unescaped ASCII byte, escaped the way `append` writes strings.
    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case Bytes.quote: out.append(contentsOf: [UInt8(ascii: "\\"), Bytes.quote])
        case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x0A: out.append(contentsOf: Array("\\n".utf8))
        case 0x0D: out.append(contentsOf: Array("\\r".utf8))
        case 0x09: out.append(contentsOf: Array("\\t".utf8))
        case 0x08: out.append(contentsOf: Array("\\b".utf8))
        case 0x0C: out.append(contentsOf: Array("\\f".utf8))
        case ..<0x20:
            let digits = Array("0123456789abcdef".utf8)
            out.append(contentsOf: Array("\\u00".utf8))
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        default: out.append(byte)
        }
    }

    /// A code point from a `\u` escape, as simdjson unescapes it (a surrogate left alone still
    /// takes three bytes), then escaped when it is ASCII.
    private static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case ..<0x80: appendEscaped(UInt8(scalar), to: &out)
        case ..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    private static func hex4(_ text: UnsafeRawBufferPointer, at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 where index + offset < text.count {
            let byte = text[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: digit = 0
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }
}
