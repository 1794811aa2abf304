/// The `text` report style, for people at a terminal: a one-line verdict, the counts per error
/// type, the first errors with their row, line, field and value, and the file's size, rows, time
/// and throughput.
@_spi(CommandLine) public enum TextReport {
    /// `seconds`: the run's wall time; `colour`: ANSI colours (only for a terminal).
    static func render(_ report: ValidationReport, seconds: Double, colour: Bool) -> String {
        let style = Style(enabled: colour)
        var out = ""
        let name = report.file.name
        switch report.status {
        case .valid:
            out += style.green("VALID") + "  \(name): every row passes \(report.file.schemaType)\n"
        case .warnings:
            out += style.yellow("WARNINGS") + "  \(name): \(count(report.invalidRows, "row")) of \(grouped(report.totalRows))"
                + " would be rejected; the file would be accepted\n"
        case .failed:
            out += style.red("FAILED") + "  \(name): the file would be rejected"
                + " (\(count(report.fileLevelErrors, "file-level error")))\n"
        }
        let throughput = seconds > 0 ? Double(report.file.sizeBytes) / 1_000_000 / seconds : 0
        out += "  " + style.dim("\(report.file.format.rawValue), \(size(report.file.sizeBytes)), ")
            + style.dim("\(count(report.totalRows, "row")) (\(grouped(report.validRows)) valid, ")
            + style.dim("\(grouped(report.invalidRows)) invalid), \(count(report.totalErrors, "error")), ")
            + style.dim(String(format2: seconds) + " s, " + String(format1: throughput) + " MB/s") + "\n"

        if !report.errorCounts.isEmpty {
            out += "\n" + style.bold("Errors by type") + "\n"
            let width = report.errorCounts.keys.map(\.count).max() ?? 0
            let byCount = report.errorCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            for (code, total) in byCount {
                out += "  " + code + String(repeating: " ", count: width - code.count + 2) + grouped(total) + "\n"
            }
        }
        if !report.errors.isEmpty {
            out += "\n" + style.bold("First errors") + "\n"
            for issue in report.errors {
                var place = "row \(issue.row)"
                if issue.line != issue.row { place += " (line \(issue.line))" }
                if let field = issue.field { place += ", " + field }
                out += "  " + style.dim(place + ":") + " " + style.red(issue.code) + "  " + issue.error
                if let value = issue.value, !issue.error.contains(value) || value.isEmpty {
                    out += style.dim("  value: '" + value + "'")
                }
                out += "\n"
            }
            let more = report.totalErrors - report.errors.count
            if more > 0 {
                out += style.dim("  … and \(grouped(more)) more (--max-errors 0 lists all; --report ndjson streams them)")
                    + "\n"
            }
        }
        if !report.notices.isEmpty {
            out += "\n" + style.bold("Notices") + "\n"
            for notice in report.notices {
                out += "  " + notice.code + ": " + notice.message + (notice.row.map { " (row \($0))" } ?? "") + "\n"
            }
        }
        return out
    }

    /// A number with one decimal: "66.1".
    @_spi(CommandLine) public static func oneDecimal(_ value: Double) -> String { String(format1: value) }

    /// "1 row", "2 rows", "1,000 errors".
    @_spi(CommandLine) public static func count(_ value: Int, _ noun: String) -> String {
        grouped(value) + " " + noun + (value == 1 ? "" : "s")
    }

    /// 1234567 → "1,234,567".
    @_spi(CommandLine) public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// Bytes in the largest unit that keeps a number ≥ 1 (decimal units, as MB/s): "688.3 MB".
    @_spi(CommandLine) public static func size(_ bytes: Int) -> String {
        if bytes < 1000 { return "\(bytes) bytes" }
        let units = ["KB", "MB", "GB", "TB"]
        var value = Double(bytes) / 1000
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return String(format1: value) + " " + units[unit]
    }

    struct Style {
        let enabled: Bool
        func wrap(_ text: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m" + text + "\u{1B}[0m" : text }
        func red(_ text: String) -> String { wrap(text, "1;31") }
        func yellow(_ text: String) -> String { wrap(text, "1;33") }
        func green(_ text: String) -> String { wrap(text, "1;32") }
        func bold(_ text: String) -> String { wrap(text, "1") }
        func dim(_ text: String) -> String { wrap(text, "2") }
    }
}

extension String {
    /// A number with one decimal, without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }

    /// A number with two decimals, without Foundation.
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        let fraction = abs(hundredths % 100)
        self = "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}
