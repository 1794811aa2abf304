#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The last object shape a checker resolved against its schema: each member's depth, whether it
/// is a nested object, its key, and what its attribute is to the schema (a column, an unknown
/// name already worked out, or nothing). Rows of one file nearly always repeat one shape; a row
/// whose members match it member for member is checked from the members as listed, without
/// dot-joining names or looking any name up (`RowChecker.checkObject`). Any other row is
/// flattened and looked up, and its shape becomes the cached one.
///
/// The memory is allocated once and never grows: a shape with more members or key bytes than it
/// holds is simply not cached.
struct JSONShape {
    /// One member of the cached shape.
    struct Member {
        var depth: Int32
        var isObject: Bool
        var keyOffset: Int32
        var keyLength: Int32
        /// A schema column (≥ 0), `Self.ignored`, or `Self.unknown`/`Self.unexpected` (under `name…`).
        var column: Int32
        var nameOffset: Int32
        var nameLength: Int32
    }

    /// Not a column, and not to be noted (a nested object, or any name when the schema accepts others).
    static let ignored: Int32 = -1
    /// A name the schema does not know: noted as an unknown column under its dot-joined name.
    static let unknown: Int32 = -2
    /// A name the schema does not allow (`otherColumns` reject): an error under its dot-joined name.
    static let unexpected: Int32 = -3

    static let maximumMembers = 256
    static let maximumBytes = 16_384

    /// Owns the memory, so that copies of the checker share it and rows touch only plain pointers.
    private final class Storage {
        let members = UnsafeMutablePointer<Member>.allocate(capacity: JSONShape.maximumMembers)
        let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: JSONShape.maximumBytes)
        deinit {
            members.deallocate()
            bytes.deallocate()
        }
    }

    private let storage = Storage()
    private let members: UnsafeMutablePointer<Member>
    private let bytes: UnsafeMutablePointer<UInt8>
    /// Members in the cached shape; -1: none cached.
    private var count = -1

    init() {
        members = storage.members
        bytes = storage.bytes
    }

    /// Whether `object` has the cached shape: the same members, depths, nesting and keys.
    @inline(__always)
    func matches(_ object: JSONObject) -> Bool {
        guard object.count == count else { return false }
        for index in 0..<count {
            let cached = members[index]
            let key = object.key(index)
            guard object.depth(index) == cached.depth, (object.kind(index) == .object) == cached.isObject,
                  key.count == Int(cached.keyLength),
                  key.isEmpty || memcmp(key.baseAddress!, bytes + Int(cached.keyOffset), key.count) == 0
            else { return false }
        }
        return true
    }

    /// What member `index` of a matching object is to the schema.
    @inline(__always)
    func member(_ index: Int) -> Member { members[index] }

    /// The dot-joined name of an unknown member.
    @inline(__always)
    func name(of member: Member) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: bytes + Int(member.nameOffset), count: Int(member.nameLength))
    }

    /// Caches `object`'s shape; `column(field)` says what each of its attributes (`fields`, the
    /// object flattened) is: a column index, `ignored` or `unknown`.
    mutating func record(_ object: JSONObject, fields: JSONFields, column: (Int) -> Int32) {
        count = -1
        guard object.count <= Self.maximumMembers else { return }
        var used = 0
        func store(_ text: UnsafeRawBufferPointer) -> Int32? {
            guard used + text.count <= Self.maximumBytes else { return nil }
            if let base = text.baseAddress { (bytes + used).update(from: base.assumingMemoryBound(to: UInt8.self), count: text.count) }
            defer { used += text.count }
            return Int32(used)
        }
        for index in 0..<object.count {
            let key = object.key(index)
            guard let offset = store(key) else { return }
            members[index] = Member(depth: object.depth(index), isObject: object.kind(index) == .object,
                                    keyOffset: offset, keyLength: Int32(key.count), column: Self.ignored,
                                    nameOffset: 0, nameLength: 0)
        }
        for field in 0..<fields.count {
            let index = fields.source(field)
            let resolved = column(field)
            members[index].column = resolved
            if resolved == Self.unknown || resolved == Self.unexpected {
                let name = fields.key(field)
                guard let offset = store(name) else { return }
                members[index].nameOffset = offset
                members[index].nameLength = Int32(name.count)
            }
        }
        count = object.count
    }
}
