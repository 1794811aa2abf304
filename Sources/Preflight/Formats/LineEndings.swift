/// Counts of line terminators, for the `mixed_line_endings` notice.
struct LineEndings {
    var lf = 0
    var crlf = 0

    var areMixed: Bool { lf > 0 && crlf > 0 }

    mutating func add(_ other: LineEndings) {
        lf += other.lf
        crlf += other.crlf
    }
}
