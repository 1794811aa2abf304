import CScan

/// The CSV structural kernel's answer for the records ahead: for each record, the positions of
/// its delimiters and its line feed (outside quotes), and whether it holds a quote, a control
/// byte or a non-ASCII byte. The reader takes records from it one by one; a record whose start is
/// not where the reader stands (after a quote error moved it) makes it scan again from there.
/// One per reader, its entry buffer allocated once.
struct CSVStructuralIndex {
    /// A record as indexed: its delimiters are `entries[firstEntry..<endEntry]`, its line feed at `lineFeed`.
    struct Record {
        let start: Int
        let lineFeed: Int
        let firstEntry: Int
        let endEntry: Int
        let flags: UInt32

        var hasQuote: Bool { flags & UInt32(PFSCAN_HAS_QUOTE) != 0 }
        var hasControl: Bool { flags & UInt32(PFSCAN_HAS_CONTROL) != 0 }
        var hasNonASCII: Bool { flags & UInt32(PFSCAN_HAS_NON_ASCII) != 0 }
    }

    static let capacity = 1 << 14
    /// Bytes given to the kernel per call at most: about a thousand records of a typical export.
    static let span = 1 << 16

    let kernel: Int32
    let delimiter: UInt8
    private(set) var entries: UnsafeMutablePointer<UInt32>
    /// Entries held, where the next record's start in them is, and the input offset they count from.
    private var count = 0
    private var cursor = 0
    private var base = 0
    /// Where the next indexed record starts (valid while `cursor < count`).
    private var nextStart = 0

    init(delimiter: UInt8, kernel: Int32 = pfscan_best_kernel()) {
        self.delimiter = delimiter
        self.kernel = kernel
        entries = .allocate(capacity: Self.capacity)
    }

    func deallocate() { entries.deallocate() }

    /// Forgets the records held: the bytes they were found in may have changed (a new window in
    /// the same buffer), so positions from them must never be used again.
    mutating func reset() {
        count = 0
        cursor = 0
    }

    /// The delimiter position of entry `index`, as an offset in the input.
    @inline(__always)
    func position(_ index: Int) -> Int { base + Int(entries[index] & UInt32(PFSCAN_OFFSET_MASK)) }

    /// The record that starts at `start`, if it ends with a line feed before `end`; scans ahead
    /// when the records held do not start there.
    mutating func record(at start: Int, in base: UnsafeRawPointer, end: Int) -> Record? {
        if cursor >= count || nextStart != start {
            scan(base, from: start, to: end)
            if count == 0 { return nil }
        }
        var index = cursor
        while entries[index] & UInt32(PFSCAN_RECORD_END) == 0 { index += 1 }  // the kernel gives whole records
        let entry = entries[index]
        let lineFeed = self.base + Int(entry & UInt32(PFSCAN_OFFSET_MASK))
        let record = Record(start: start, lineFeed: lineFeed, firstEntry: cursor, endEntry: index, flags: entry)
        cursor = index + 1
        nextStart = lineFeed + 1
        return record
    }

    private mutating func scan(_ pointer: UnsafeRawPointer, from start: Int, to end: Int) {
        var scanned = 0
        let length = min(end - start, Self.span)
        count = pfscan_csv(kernel, pointer.advanced(by: start).assumingMemoryBound(to: UInt8.self), length, delimiter,
                           entries, Self.capacity, &scanned)
        base = start
        cursor = 0
        nextStart = start
    }
}
