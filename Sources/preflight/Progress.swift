@_spi(CommandLine) import Preflight

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C: the first one asks the run to stop (its workers look every few rows; the partial
/// counts are printed); a second one ends the process at once.
enum Interrupt {
    nonisolated(unsafe) static var count: sig_atomic_t = 0

    static func install() {
        OutputFile.removeTemporaryFiles()  // nothing to remove yet: sets up its table outside any handler
        signal(SIGINT) { _ in
            Interrupt.count += 1
            if Interrupt.count > 1 {
                OutputFile.removeTemporaryFiles()
                _exit(130)
            }
        }
        // An input file cut short by another process while it is mapped (`mapsFiles`): the
        // same line as for a file that changed size between reads, no temporary output left
        // behind, and the status of an input that cannot be read.
        signal(SIGBUS) { _ in
            _ = write(2, Interrupt.cutShortLine, strlen(Interrupt.cutShortLine))
            OutputFile.removeTemporaryFiles()
            _exit(66)
        }
        // Ended from outside: no temporary output is left behind, then the usual end by the signal.
        for ending in [SIGTERM, SIGHUP] {
            signal(ending) { number in
                OutputFile.removeTemporaryFiles()
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    static var requested: Bool { count > 0 }

    /// What SIGBUS prints, written before each input is read (a handler may not format text).
    nonisolated(unsafe) private static let cutShortLine: UnsafeMutablePointer<CChar> = {
        let line = UnsafeMutablePointer<CChar>.allocate(capacity: lineCapacity)
        line.initialize(repeating: 0, count: lineCapacity)
        return line
    }()
    private static let lineCapacity = 4096

    /// Names `path` in the line a SIGBUS prints while it is read.
    static func reading(_ path: String) {
        let line = "preflight: " + PreflightError.changedWhileReading(path).description + "\n"
        let bytes = Array(line.utf8.prefix(lineCapacity - 1))
        cutShortLine[0] = 0  // never a half-written line
        for (index, byte) in bytes.enumerated().dropFirst() { cutShortLine[index] = CChar(bitPattern: byte) }
        cutShortLine[bytes.count] = 0
        cutShortLine[0] = CChar(bitPattern: bytes[0])
    }
}

/// Passes progress to the bar and Ctrl-C to the run. The run calls it from its progress timer's
/// thread only (the bar is cleared from the main thread once the run has returned).
final class InterruptMonitor: RunMonitor, @unchecked Sendable {
    let progress: ProgressBar?

    init(progress: ProgressBar?) {
        self.progress = progress
    }

    func progress(bytesRead: Int, totalBytes: Int?) {
        progress?.update(bytesRead: bytesRead, totalBytes: totalBytes)
    }

    var stopRequested: Bool { Interrupt.requested }
}

/// A one-line progress bar on standard error (a terminal): bytes done, MB/s, ETA. Drawn from the
/// run's progress timer (every 0.1 s), cleared from the main thread after the run.
final class ProgressBar: @unchecked Sendable {
    private let started = StageTimes.now
    private var lastDrawn = 0.0
    private var drawn = false

    func update(bytesRead: Int, totalBytes: Int?) {
        let now = StageTimes.now
        // Short runs never show a bar; long ones redraw every 0.15 to 0.25 s (the timer ticks every 0.1 s).
        guard now - started >= 0.5, now - lastDrawn >= 0.15 else { return }
        lastDrawn = now
        let elapsed = max(now - started, 0.001)
        let rate = Double(bytesRead) / 1_000_000 / elapsed
        var line = "\r"
        if let totalBytes, totalBytes > 0 {
            let fraction = min(1, Double(bytesRead) / Double(totalBytes))
            let width = 30
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += "\(Int(fraction * 100))%  \(TextReport.size(bytesRead)) of \(TextReport.size(totalBytes))"
            line += "  \(TextReport.oneDecimal(rate)) MB/s"
            if rate > 0, bytesRead < totalBytes {
                let remaining = Int(Double(totalBytes - bytesRead) / 1_000_000 / rate)
                line += "  ETA \(remaining / 60):" + (remaining % 60 < 10 ? "0" : "") + "\(remaining % 60)"
            }
        } else {
            line += "\(TextReport.size(bytesRead)) read  \(TextReport.oneDecimal(rate)) MB/s"
        }
        line += "\u{1B}[K"
        _ = line.withCString { write(2, $0, strlen($0)) }
        drawn = true
    }

    /// Removes the bar before anything else is printed.
    func clear() {
        guard drawn else { return }
        let line = "\r\u{1B}[K"
        _ = line.withCString { write(2, $0, strlen($0)) }
        drawn = false
    }
}

/// The stderr line of a stopped run.
enum StopSummary {
    /// What a stopped run had found.
    static func partial(_ report: ValidationReport) -> String {
        "\(TextReport.size(report.file.sizeBytes)) and \(TextReport.count(report.totalRows, "row")): "
            + "\(TextReport.count(report.invalidRows, "invalid row")), \(TextReport.count(report.totalErrors, "error")) so far"
    }
}
