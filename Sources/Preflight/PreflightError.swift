#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to run: the input cannot be opened or read, an output cannot be written, the run was
/// cancelled. What is wrong with the input's *content* is not an error: it is the report.
///
/// Switch on the cases to decide what to do; ``description`` is one line for people.
///
/// ```swift
/// do {
///     let report = try Preflight.validate(file: "export.csv", schema: .genericTransactions)
///     print(report.status)
/// } catch .cannotOpen(let path, let reason) {
///     print("no such input \(path): \(reason)")
/// } catch {
///     print(error)
/// }
/// ```
public enum PreflightError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The input could not be opened (`reason`: the system's words, "No such file or directory").
    case cannotOpen(path: String, reason: String)
    /// The input could not be read after it was opened.
    case cannotRead(path: String, reason: String)
    /// The input named is a directory.
    case isDirectory(path: String)
    /// The input is gzip inside gzip.
    case compressedTwice(path: String)
    /// The input is gzip that ends early or does not inflate.
    case corruptGzip(path: String)
    /// The input changed size while it was read: validate a copy that is not being written.
    case changedWhileReading(path: String)
    /// The input's format cannot be told from its name (`.csv`, `.tsv`, `.json`, `.ndjson`,
    /// `.jsonl`): set ``ValidationOptions/format``.
    case unknownFormat(name: String)
    /// An output (a report, a rejects or clean file) could not be written; `errno` is the
    /// system's error number (`EPIPE` for a pipe whose reader has gone).
    case cannotWrite(path: String, reason: String, errno: Int32)
    /// A file given to the merge is not a usable partial result (not one, damaged, another
    /// version), or the partials do not fit together (another file, options, a gap): `reason`.
    case notAPartial(path: String, reason: String)
    /// Memory for a window or a table could not be had.
    case outOfMemory
    /// A parser library refused its own input: a bug in preflight, worth reporting.
    case internalFailure(String)
    /// The task running the validation was cancelled (``Preflight``'s `async` functions); the run
    /// stopped at its next chunk of rows and its outputs were dropped.
    case cancelled

    static func cannotOpen(_ path: String, errno code: Int32) -> PreflightError {
        .cannotOpen(path: path, reason: String(cString: strerror(code)))
    }

    static func cannotRead(_ path: String, errno code: Int32) -> PreflightError {
        .cannotRead(path: path, reason: String(cString: strerror(code)))
    }

    static func isDirectory(_ path: String) -> PreflightError { .isDirectory(path: path) }
    static func compressed(_ path: String) -> PreflightError { .compressedTwice(path: path) }
    static func corruptGzip(_ path: String) -> PreflightError { .corruptGzip(path: path) }

    /// The file changed size while it was read. A program that maps files (and so handles
    /// SIGBUS, see ``ValidationOptions/mapsFiles``) reports a file cut short in these words.
    public static func changedWhileReading(_ path: String) -> PreflightError { .changedWhileReading(path: path) }

    /// An output could not be written, from the system's error number.
    public static func cannotWrite(_ path: String, errno code: Int32) -> PreflightError {
        .cannotWrite(path: path, reason: String(cString: strerror(code)), errno: code)
    }

    static func parserFailure(_ what: String) -> PreflightError { .internalFailure(what) }

    /// The engine's stop signal (a monitor's stop request or a task's cancellation): caught by the
    /// run, which then ends with an incomplete report — only when a stop was asked for, so the
    /// same error thrown by an observer is an error.
    static var stopped: PreflightError { .cancelled }
    var isStop: Bool { self == .cancelled }

    /// Whether the input could not be read at all, as opposed to a failure while running or writing.
    public var isInputUnreadable: Bool {
        switch self {
        case .cannotOpen, .cannotRead, .isDirectory, .compressedTwice, .changedWhileReading, .corruptGzip:
            return true
        case .unknownFormat, .outOfMemory, .internalFailure, .cannotWrite, .cancelled, .notAPartial:
            return false
        }
    }

    /// Why a file could not be opened or read (the system's words), else the whole description.
    var reason: String {
        switch self {
        case .cannotOpen(_, let reason), .cannotRead(_, let reason): return reason
        default: return description
        }
    }

    /// One line for people: "cannot open orders.csv: No such file or directory".
    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "cannot open \(path): \(reason)"
        case .cannotRead(let path, let reason): return "cannot read \(path): \(reason)"
        case .isDirectory(let path): return "cannot read \(path): it is a directory"
        case .corruptGzip(let path): return "cannot read \(path): it is not valid gzip data (truncated or corrupt)"
        case .changedWhileReading(let path):
            return "cannot read \(path): it changed size while being read; validate a copy that is not being written"
        case .compressedTwice(let path):
            return "cannot read \(path): it is gzip-compressed twice; decompress it once first"
        case .unknownFormat(let name):
            return "cannot tell the format of '\(name)' from its name; name the format (csv, json or ndjson)"
        case .cannotWrite(let path, let reason, _): return "cannot write \(path): \(reason)"
        case .notAPartial(let path, let reason): return "cannot merge \(path): \(reason)"
        case .cancelled: return "cancelled"
        case .outOfMemory: return "out of memory"
        case .internalFailure(let what): return "internal parser failure: \(what)"
        }
    }
}
