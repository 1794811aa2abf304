/// One CSV record as the reader found it, with its position. Field bytes are valid only while
/// the visitor runs.
struct CSVRecord {
    enum Status: Equatable {
        case parsed
        /// Longer than the record cap; not parsed.
        case tooLarge
        case malformedQuotes
        case unterminatedQuote
    }

    let status: Status
    /// Physical line where the record starts, counted from the reader's `firstLine`.
    let line: Int
    /// Byte range of the record in the input, terminator excluded.
    let start: Int
    let end: Int
    /// Where the input goes on after the record: past its line break (after a quote error, past
    /// the line where the error was found).
    let next: Int
    let fieldCount: Int
    let starts: UnsafeMutablePointer<UnsafeRawPointer?>
    let lengths: UnsafeMutablePointer<Int>
    /// False when the structural kernel saw no byte below 0x20 other than tab in the record.
    var mayHoldControl = true
    /// False when the structural kernel saw no byte of 0x80 or more (then it is valid UTF-8).
    var mayHoldNonASCII = true

    /// Unquoted, unescaped bytes of field `index`.
    @inline(__always)
    func field(_ index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: starts[index], count: lengths[index])
    }
}

/// Which parser splits records into fields.
@_spi(Tuning) public enum CSVEngine: String, Sendable, CaseIterable {
    /// The structural kernel (SIMD) finds delimiters and record ends, and records are split
    /// from them (quoted fields too, when nothing in them needs unescaping); records with an
    /// escaped or stray quote go to libcsv.
    case prescan
    /// libcsv for every record.
    case libcsv
}
