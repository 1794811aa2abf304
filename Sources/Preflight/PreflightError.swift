#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real failure to run (the input cannot be opened or read), as opposed to what is wrong with
/// the input's content, which is reported as data. One type, cases kept private so more can come.
public struct PreflightError: Error, CustomStringConvertible, Sendable {
    private enum Kind: Sendable {
        case cannotOpen(path: String, reason: String)
        case cannotRead(path: String, reason: String)
        case isDirectory(path: String)
        case compressed(path: String)
        case changedWhileReading(path: String)
        case corruptGzip(path: String)
        case outOfMemory
        case parserFailure(String)
        case cannotWrite(path: String, reason: String, code: Int32)
        /// A monitor asked the run to stop; never leaves the validator.
        case stopped
    }

    private let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    static func cannotOpen(_ path: String, errno code: Int32) -> PreflightError {
        PreflightError(.cannotOpen(path: path, reason: String(cString: strerror(code))))
    }

    static func cannotRead(_ path: String, errno code: Int32) -> PreflightError {
        PreflightError(.cannotRead(path: path, reason: String(cString: strerror(code))))
    }

    static func isDirectory(_ path: String) -> PreflightError { PreflightError(.isDirectory(path: path)) }
    static func compressed(_ path: String) -> PreflightError { PreflightError(.compressed(path: path)) }
    /// The file changed size while it was read (public: a program that maps files, and so
    /// handles SIGBUS, reports a file cut short in the same words).
    public static func changedWhileReading(_ path: String) -> PreflightError {
        PreflightError(.changedWhileReading(path: path))
    }
    static func corruptGzip(_ path: String) -> PreflightError { PreflightError(.corruptGzip(path: path)) }
    static var outOfMemory: PreflightError { PreflightError(.outOfMemory) }
    static var stopped: PreflightError { PreflightError(.stopped) }

    /// An output (a report, a rejects or clean file) could not be written.
    public static func cannotWrite(_ path: String, errno code: Int32) -> PreflightError {
        PreflightError(.cannotWrite(path: path, reason: String(cString: strerror(code)), code: code))
    }

    var isStop: Bool {
        if case .stopped = kind { return true }
        return false
    }

    /// Whether an output could not be written (exit status 74).
    public var isOutputFailure: Bool {
        if case .cannotWrite = kind { return true }
        return false
    }
    /// Whether the output named `path` was a pipe whose reader has gone (`| head`).
    public func isBrokenPipe(writing path: String) -> Bool {
        if case .cannotWrite(let failed, _, let code) = kind { return code == EPIPE && failed == path }
        return false
    }

    static func parserFailure(_ what: String) -> PreflightError { PreflightError(.parserFailure(what)) }

    /// Whether the input could not be read at all (exit status 66), as opposed to a failure while running.
    public var isInputUnreadable: Bool {
        switch kind {
        case .cannotOpen, .cannotRead, .isDirectory, .compressed, .changedWhileReading, .corruptGzip: return true
        case .outOfMemory, .parserFailure, .cannotWrite, .stopped: return false
        }
    }

    /// Why a file could not be opened or read (the system's words), else the whole description.
    var reason: String {
        switch kind {
        case .cannotOpen(_, let reason), .cannotRead(_, let reason): return reason
        default: return description
        }
    }

    public var description: String {
        switch kind {
        case .cannotOpen(let path, let reason): return "cannot open \(path): \(reason)"
        case .cannotRead(let path, let reason): return "cannot read \(path): \(reason)"
        case .isDirectory(let path): return "cannot read \(path): it is a directory"
        case .corruptGzip(let path): return "cannot read \(path): it is not valid gzip data (truncated or corrupt)"
        case .changedWhileReading(let path):
            return "cannot read \(path): it changed size while being read; validate a copy that is not being written"
        case .compressed(let path):
            return "cannot read \(path): it is gzip-compressed twice; decompress it once first"
        case .cannotWrite(let path, let reason, _): return "cannot write \(path): \(reason)"
        case .stopped: return "stopped"
        case .outOfMemory: return "out of memory"
        case .parserFailure(let what): return "internal parser failure: \(what)"
        }
    }
}
