#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shapes a report comes in: the platforms' own, one for people, and a stream of every error.
public enum ReportStyle: String, CaseIterable, Sendable {
    /// Piing's preflight report: JSON, the 202-like `valid`/`warnings` shape or the 400-like
    /// `validation_failed` one.
    case piing
    /// Productsup's batch errors: each distinct message with its count and first example.
    case productsup
    /// Jumbo's file errors: the listed errors grouped per row under the line where it starts.
    case jumbo
    /// For people at a terminal: a verdict, counts per error type, the first errors.
    case text
    /// Every error as one JSON line, uncapped, in row order, written as rows are validated.
    case ndjson

    /// Whether the style needs to watch the run (``ReportRenderer/observers``): every style but
    /// `piing` and `text`, which are rendered from the ``ValidationReport`` alone.
    public var watchesTheRun: Bool { self == .productsup || self == .jumbo || self == .ndjson }

    /// Reads a report back from Piing's JSON (what ``piing`` renders). The report it returns equals
    /// the one rendered (``ValidationReport``'s `==`: timings and values aside); it is complete.
    public static func decodePiing(_ json: [UInt8]) throws(ReportDecodingError) -> ValidationReport {
        try PiingReport.decode(json)
    }
}

/// A report style at work: it makes the observers the style needs to see the run (Productsup's
/// examples, Jumbo's error rows, the NDJSON stream), then renders the finished report.
///
/// ```swift
/// let renderer = try ReportRenderer(style: .productsup)
/// let report = try Preflight.validate(file: "feed.csv", schema: .productsupStream,
///                                     observers: renderer.observers)
/// let json = try renderer.render(report)          // bytes, ending with a line break
/// ```
///
/// Use one renderer per run: what the observers gathered belongs to that run.
public final class ReportRenderer {
    /// The shape ``render(_:)`` and ``write(_:to:)`` give the report.
    public let style: ReportStyle
    /// Pass these to the run (`observers:`); empty for `piing` and `text`.
    public let observers: [any RowObserver]
    private let colour: Bool
    private let collector: ProductsupCollector?
    private let errorRows: ErrorRowCounter?
    private let stream: ErrorStream?
    /// Where the `ndjson` stream goes: the caller's descriptor, or a temporary file read back by `render`.
    private let streamOutput: OutputFile?
    private let streamsToCaller: Bool

    /// A renderer for one run in `style`. Throws ``PreflightError/cannotWrite(path:reason:errno:)``
    /// when the `ndjson` style cannot make the temporary file it holds lines in.
    ///
    /// - Parameters:
    ///   - style: the report's shape.
    ///   - maxErrors: for `productsup`, the distinct messages listed (as ``ValidationOptions/maxErrors``
    ///     lists errors; 0 = all). The other styles list what the report lists.
    ///   - colour: ANSI colours in the `text` style (for a terminal only).
    ///   - fileTag: for `ndjson`, a file name put on every line (several inputs in one stream).
    ///   - descriptor: for `ndjson`, a descriptor (open for writing, left open) that receives
    ///     the lines while the run goes; without it they are kept in a temporary file until
    ///     ``render(_:)`` or ``write(_:to:)``.
    public init(style: ReportStyle, maxErrors: Int = 1000, colour: Bool = false, fileTag: String? = nil,
                streamingTo descriptor: Int32? = nil) throws(PreflightError) {
        self.style = style
        self.colour = colour
        collector = style == .productsup ? ProductsupCollector(maxMessages: maxErrors) : nil
        errorRows = style == .jumbo ? ErrorRowCounter() : nil
        if style == .ndjson {
            let output: OutputFile
            if let descriptor {
                output = OutputFile(descriptor: descriptor, path: ReportRenderer.reportName)
            } else {
                output = try OutputFile.temporary()
            }
            streamOutput = output
            streamsToCaller = descriptor != nil
            stream = try ErrorStream(output: output, fileTag: fileTag)
        } else {
            streamOutput = nil
            streamsToCaller = false
            stream = nil
        }
        observers = [collector as (any RowObserver)?, errorRows, stream].compactMap { $0 }
    }

    /// How errors name the report's destination: "cannot write the report: …".
    public static let reportName = "the report"

    /// The report in this style, as UTF-8 bytes ending with a line break. An incomplete report
    /// (``ValidationReport/isComplete`` false: a monitor stopped the run) renders its counts so far,
    /// and no style can say it is incomplete: check before you publish it. For `ndjson` streamed to
    /// a descriptor, empty: the lines are already there.
    public func render(_ report: ValidationReport) throws(PreflightError) -> [UInt8] {
        if let text = text(of: report) { return Array(text.utf8) }
        guard let streamOutput, !streamsToCaller else { return [] }
        return try streamOutput.contents()
    }

    /// The report as text, for every style but `ndjson` (whose lines are in `streamOutput`).
    private func text(of report: ValidationReport) -> String? {
        switch style {
        case .piing: return PiingReport.render(report) + "\n"
        case .productsup: return collector.map { ProductsupReport.render(report, messages: $0) + "\n" }
        case .jumbo: return JumboReport.render(report, errorLines: errorRows?.rows ?? 0) + "\n"
        case .text: return TextReport.render(report, seconds: report.seconds, colour: colour)
        case .ndjson: return nil
        }
    }

    /// Writes the report in this style to `descriptor` (left open), all of it or a one-line error.
    public func write(_ report: ValidationReport, to descriptor: Int32) throws(PreflightError) {
        let output = OutputFile(descriptor: descriptor, path: Self.reportName)
        if let text = text(of: report) {
            try output.write(text)
        } else if let streamOutput {
            if streamsToCaller { try streamOutput.flush() } else { try streamOutput.copy(to: output) }
        }
        try output.flush()
    }
}
