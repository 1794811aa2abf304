// An async pipeline: bytes arrive in chunks (here read from a file, as a download would deliver
// them), are validated as they come, and the work is cancelled when it takes too long.
// Usage: AsyncPipeline FILE
import Preflight

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file's bytes, 64 KiB at a time, as an async sequence; `forever` starts again at the end.
func chunks(of path: String, forever: Bool = false) -> AsyncStream<[UInt8]> {
    AsyncStream { continuation in
        let task = Task {
            repeat {
                guard let file = fopen(path, "rb") else { break }
                var buffer = [UInt8](repeating: 0, count: 64 << 10)
                while !Task.isCancelled {
                    let got = fread(&buffer, 1, buffer.count, file)
                    if got == 0 { break }
                    continuation.yield(Array(buffer[0..<got]))
                    await Task.yield()
                }
                fclose(file)
            } while forever && !Task.isCancelled
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}

@main
struct AsyncPipeline {
    static func main() async {
        guard CommandLine.arguments.count == 2 else {
            print("usage: AsyncPipeline FILE")
            exit(64)
        }
        let path = CommandLine.arguments[1]
        do {
            // 1. The whole stream, validated while it arrives; each rejected row is handed over as
            //    soon as it is checked (the closure is @Sendable: it runs on the run's own thread).
            let rejected = RejectedRows { @Sendable row in print("rejected: row \(row.row) (line \(row.line))") }
            let report = try await Preflight.validate(chunks: chunks(of: path), name: path, schema: .genericTransactions,
                                                      observers: [rejected])
            print("streamed: \(report.status.rawValue), \(report.totalRows) rows, \(report.totalErrors) errors")

            // 2. A stream that never ends, given half a second: the task is cancelled and the run
            //    stops at its next chunk with PreflightError.cancelled.
            let endless = Task {
                var options = ValidationOptions(format: .csv)
                options.maxRows = 0
                options.uniqueIDs = false
                return try await Preflight.validate(chunks: chunks(of: path, forever: true), name: "endless",
                                                    schema: .genericTransactions, options: options)
            }
            try await Task.sleep(nanoseconds: 500_000_000)
            endless.cancel()
            do {
                _ = try await endless.value
                print("the endless stream ended?")
                exit(1)
            } catch PreflightError.cancelled {
                print("endless: cancelled after 0.5 s, as asked")
            }
        } catch {
            print("AsyncPipeline: \(error)")
            exit(66)
        }
    }
}
