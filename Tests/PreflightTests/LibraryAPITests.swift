import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// The public way in (`Preflight.validate`), report styles in the library, typed errors and
/// codes, Codable reports: what an embedder uses.
final class LibraryAPITests: CLITestCase {
    /// A CSV with a quoted line break, a bad amount, a duplicate id and a CRLF: errors on known rows.
    static let csv = "transaction_id,amount,date,store_id\r\n"
        + "T1,10.00,2024-01-02,S1\r\n"
        + "T2,\"1\n0\",2024-01-02,S1\r\n"
        + "T1,5.00,2024-13-02,S2\r\n"
        + "T3,abc,2024-01-02,\r\n"

    static let expected = [Located(3, 3, "amount", "invalid_amount"), Located(4, 5, "transaction_id", "duplicate_id"),
                           Located(4, 5, "date", "invalid_date"), Located(5, 6, "amount", "invalid_amount"),
                           Located(5, 6, "store_id", "missing_required_field")]

    func testEveryWayInGivesTheSameReport() async throws {
        let path = try file("orders.csv", Self.csv)
        let bytes = Array(Self.csv.utf8)
        // In async code Swift picks the async twins; a synchronous closure gets the synchronous ones.
        let validateNow = { () throws -> ValidationReport in try Preflight.validate(file: path, schema: .genericTransactions) }
        let fromFile = try validateNow()
        assertErrors(fromFile, Self.expected)
        XCTAssertEqual(fromFile.file, .init(name: "orders.csv", format: .csv, sizeBytes: bytes.count,
                                            schemaType: "generic_transactions"))
        let fromBytes = try { () throws -> ValidationReport in
            try Preflight.validate(bytes: bytes, name: "orders.csv", schema: .genericTransactions)
        }()
        XCTAssertEqual(fromBytes, fromFile)
        let asyncFile = try await Preflight.validate(file: path, schema: .genericTransactions)
        XCTAssertEqual(asyncFile, fromFile)
        let asyncBytes = try await Preflight.validate(bytes: bytes, name: "orders.csv", schema: .genericTransactions)
        XCTAssertEqual(asyncBytes, fromFile)
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        let fromDescriptor = try await Preflight.validate(descriptor: descriptor, name: "orders.csv",
                                                          schema: .genericTransactions)
        XCTAssertEqual(fromDescriptor, fromFile)
    }

    /// Chunks may cut rows, quoted fields, CRLF and characters anywhere: every cut gives the same report.
    func testChunksCutAnywhereGiveTheSameReport() async throws {
        let text = Self.csv + "T4,\"7\r\n\",2024-01-02,S\u{e9}\r\n"
        let bytes = Array(text.utf8)
        let whole = try { () throws -> ValidationReport in
            try Preflight.validate(bytes: bytes, name: "orders.csv", schema: .genericTransactions)
        }()
        XCTAssertEqual(whole.totalRows, 5)
        for cut in 0...bytes.count {
            let chunks = [Array(bytes[..<cut]), Array(bytes[cut...])]
            let report = try await Preflight.validate(chunks: Chunks(chunks), name: "orders.csv",
                                                      schema: .genericTransactions)
            XCTAssertEqual(report, whole, "cut at \(cut)")
        }
        for size in [1, 3, 64] {
            let chunks = stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
            var options = ValidationOptions()
            options.threads = 2
            let report = try await Preflight.validate(chunks: Chunks(chunks), name: "in.csv", schema: .genericTransactions,
                                                      options: options, bufferLimit: 5)
            XCTAssertEqual(report.errors, whole.errors, "chunks of \(size)")
            XCTAssertEqual(report.totalRows, 5)
        }
    }

    func testAFailingSequenceIsAReadError() async {
        struct Broken: Error, CustomStringConvertible { var description: String { "connection reset" } }
        let chunks = Chunks([Array("id,title\n".utf8)], failure: Broken())
        do {
            _ = try await Preflight.validate(chunks: chunks, name: "feed.ndjson", schema: .productsupStream)
            XCTFail("no error")
        } catch {
            XCTAssertEqual(error, .cannotRead(path: "feed.ndjson", reason: "connection reset"))
        }
    }

    /// A cancelled task stops the run at its next chunk and throws `cancelled`; observers are not finished.
    func testCancellationStopsTheRun() async throws {
        let finished = Counter()
        let endless = Endless(line: Array("{\"id\":\"1\",\"title\":\"x\"}\n".utf8))
        var options = ValidationOptions()
        options.uniqueIDs = false
        options.windowSize = 1 << 20
        let task = Task {
            try await Preflight.validate(chunks: endless, name: "feed.ndjson", schema: .productsupStream,
                                         options: options, observers: [finished])
        }
        try await Task.sleep(nanoseconds: 300_000_000)
        task.cancel()
        let started = Date()
        do {
            _ = try await task.value
            XCTFail("an endless input ended")
        } catch let error as PreflightError {
            XCTAssertEqual(error, .cancelled)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        XCTAssertEqual(finished.finishes, 0)
        XCTAssertGreaterThan(finished.rows, 0)

        // A pipe that never ends, read by the engine itself (not a feed): stopped between rows.
        signal(SIGPIPE, SIG_IGN)
        var ends: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&ends), 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let writer = Thread {
            let chunk = Array([[UInt8]](repeating: Array("{\"id\":\"1\",\"title\":\"x\"}\n".utf8), count: 1000).joined())
            while chunk.withUnsafeBytes({ write(writeEnd, $0.baseAddress!, $0.count) }) > 0 {}
            close(writeEnd)
        }
        writer.start()
        let piped = Counter()
        let pipeTask = Task {
            try await Preflight.validate(descriptor: readEnd, name: "feed.ndjson", schema: .productsupStream,
                                         options: options, observers: [piped])
        }
        try await Task.sleep(nanoseconds: 300_000_000)
        pipeTask.cancel()
        do {
            _ = try await pipeTask.value
            XCTFail("an endless pipe ended")
        } catch let error as PreflightError {
            XCTAssertEqual(error, .cancelled)
        }
        close(readEnd)
        XCTAssertGreaterThan(piped.rows, 0)
        XCTAssertEqual(piped.finishes, 0)
    }

    /// A run that ends before its sequence (an observer fails, a monitor stops it) returns at once,
    /// though the sequence never yields again; an observer's own `cancelled` is an error, not a stop.
    func testARunThatEndsBeforeItsSequenceReturns() async throws {
        let (stalled, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        continuation.yield(Array("id,title\n1,a\n".utf8))  // and nothing more, never finished
        let started = Date()
        do {
            _ = try await Preflight.validate(chunks: stalled, name: "feed.csv", schema: .productsupStream,
                                             observers: [Failing(.cannotWrite(path: "out", reason: "full", errno: 28))])
            XCTFail("no error")
        } catch {
            XCTAssertEqual(error, .cannotWrite(path: "out", reason: "full", errno: 28))
        }
        let (stalled2, continuation2) = AsyncStream.makeStream(of: [UInt8].self)
        continuation2.yield(Array("id,title\n1,a\n".utf8))
        let report = try await Preflight.validate(chunks: stalled2, name: "feed.csv", schema: .productsupStream,
                                                  monitor: StopAtOnce())
        XCTAssertFalse(report.isComplete)
        do {
            _ = try await Preflight.validate(bytes: Array(Self.csv.utf8), name: "o.csv", schema: .genericTransactions,
                                             observers: [Failing(.cancelled)])
            XCTFail("no error")
        } catch {
            XCTAssertEqual(error, .cancelled)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        continuation.finish()
        continuation2.finish()
    }

    func testASplitFinishedTwiceStaysWhole() throws {
        let rejects = scratch.appendingPathComponent("rejects.json").path
        let splitter = try RowSplitter(rejects: OutputFile.create(path: rejects), clean: nil, sidecar: nil,
                                       layout: .jsonArray)
        _ = try Preflight.validate(bytes: Array("[{\"id\":1},{\"id\":1}]".utf8), name: "a.json", schema: .productsupStream,
                                   observers: [splitter])
        try splitter.finish()  // the library finished it already
        XCTAssertEqual(try contents("rejects.json"), "[\n{\"id\":1}\n]\n")
    }

    /// A column named `file` has the code of the file-level `invalid_file`; its errors name it.
    func testAColumnNamedFileIsNotAFileLevelError() throws {
        let schema = Schema(name: "files", columns: [Column("id", .string, required: true),
                                                     Column("file", .integer, required: true)], idColumn: "id")
        let report = try Preflight.validate(bytes: Array("id,file\n1,x\n2,3\n".utf8), name: "f.csv", schema: schema)
        XCTAssertEqual(report.status, .warnings)
        XCTAssertEqual(report.errors.map(\.kind), [.invalidColumn])
        XCTAssertEqual(try ReportStyle.decodePiing(ReportRenderer(style: .piing).render(report)), report)
        let failed = try Preflight.validate(bytes: Array("id,file,file\n1,x,y\n".utf8), name: "f.csv", schema: schema)
        XCTAssertEqual(failed.status, .failed)
        XCTAssertEqual(try ReportStyle.decodePiing(ReportRenderer(style: .piing).render(failed)), failed)
    }

    func testHostilePiingReportsAreRefused() {
        func report(_ types: String, total: String = "1", invalid: String = "0") -> [UInt8] {
            Array(("{\"status\":\"failed\",\"validationErrors\":[],\"validationSummary\":{\"totalRows\":\(total),"
                + "\"preflightValidatedRows\":1,\"validRows\":1,\"invalidRows\":\(invalid)},\"errorSummary\":{\"totalErrors\":1,"
                + "\"errorTypes\":{\(types)}},\"notices\":[],\"file\":{\"name\":\"a\",\"format\":\"csv\",\"sizeBytes\":1,"
                + "\"schemaType\":\"s\"}}").utf8)
        }
        XCTAssertNoThrow(try ReportStyle.decodePiing(report("\"empty_payload\":1")))
        for (bytes, problem) in [
            (report("\"empty_payload\":9223372036854775807,\"file_too_large\":1"), "errorTypes add up to more than an Int holds"),
            (report("\"empty_payload\":-1"), "errorTypes.empty_payload is not a count (an integer, 0 or more)"),
            (report("", total: "-9223372036854775808"), "totalRows is not a count (an integer, 0 or more)"),
            (report("", invalid: "2"), "invalidRows is more than totalRows"),
        ] {
            XCTAssertThrowsError(try ReportStyle.decodePiing(bytes)) {
                XCTAssertEqual(($0 as? ReportDecodingError)?.problem, problem)
            }
        }
    }

    func testObserversAreToldTheRunBeginsAndFinishes() throws {
        let counter = Counter()
        _ = try Preflight.validate(bytes: Array(Self.csv.utf8), name: "orders.csv", schema: .genericTransactions,
                                   observers: [counter])
        XCTAssertEqual(counter.begins, ["csv orders.csv"])
        XCTAssertEqual(counter.rows, 4)
        XCTAssertEqual(counter.finishes, 1)
    }

    func testErrorsHaveCasesToSwitchOn() {
        XCTAssertThrowsError(try Preflight.validate(file: scratch.path + "/missing.csv", schema: .genericTransactions)) {
            XCTAssertEqual($0 as? PreflightError, .cannotOpen(path: self.scratch.path + "/missing.csv",
                                                              reason: "No such file or directory"))
        }
        XCTAssertThrowsError(try Preflight.validate(bytes: [], name: "export", schema: .genericTransactions)) {
            XCTAssertEqual($0 as? PreflightError, .unknownFormat(name: "export"))
            XCTAssertEqual("\($0)", "cannot tell the format of 'export' from its name; name the format (csv, json or ndjson)")
        }
        XCTAssertThrowsError(try Preflight.validate(file: scratch.path, schema: .genericTransactions,
                                                    options: ValidationOptions(format: .csv))) {
            XCTAssertEqual($0 as? PreflightError, .isDirectory(path: self.scratch.path))
        }
    }

    func testCodesAreTyped() throws {
        let report = try Preflight.validate(bytes: Array(("\u{FEFF}" + Self.csv).utf8), name: "o.csv",
                                            schema: .genericTransactions)
        XCTAssertEqual(report.errors.map(\.kind), [.invalidColumn, .duplicateID, .invalidColumn, .invalidColumn,
                                                   .missingRequiredField])
        XCTAssertEqual(report.notices.map(\.kind), [.bomPresent])
        XCTAssertNil(IssueCode.kind(of: "something_new"))
        XCTAssertEqual(IssueCode.kind(of: "invalid_file"), .invalidFile)
        XCTAssertEqual(IssueCode.fileLevel, [.emptyPayload, .fileTooLarge, .tooManyRows, .invalidFile,
                                             .missingRequiredColumn, .duplicateColumn])
    }

    /// Piing's JSON read back gives the report that was rendered, whatever its status.
    func testPiingReportsDecodeToTheReportRendered() throws {
        var options = ValidationOptions()
        options.maxRows = 2
        let inputs: [(String, String, Schema)] = [
            ("ok.csv", "transaction_id,amount,date,store_id\nT1,1.00,2024-01-02,S1\n", .genericTransactions),
            ("rows.csv", Self.csv, .genericTransactions),
            ("header.csv", "\u{FEFF}amount,amount\n1,2\n", .genericTransactions),
            ("feed.ndjson", "{\"id\":\"1\",\"title\":\"a\",\"x\":1}\n\n{\"id\":\"1\"}\n", .productsupStream),
            ("bad.json", "[{\"id\":1},", .squarePOS),
        ]
        for (name, text, schema) in inputs {
            let report = try Preflight.validate(bytes: Array(text.utf8), name: name, schema: schema, options: options)
            let json = try ReportRenderer(style: .piing).render(report)
            let decoded = try ReportStyle.decodePiing(json)
            XCTAssertEqual(decoded, report, name)
            XCTAssertEqual(decoded.status, report.status, name)
            XCTAssertEqual(decoded.errors.map(\.isFileLevel), report.errors.map(\.isFileLevel), name)
            XCTAssertEqual(try ReportRenderer(style: .piing).render(decoded), json, name)
            // Codable: every field, values included.
            let encoded = try JSONEncoder().encode(report)
            let back = try JSONDecoder().decode(ValidationReport.self, from: encoded)
            XCTAssertEqual(back, report, name)
            XCTAssertEqual(back.errors.map(\.value), report.errors.map(\.value), name)
        }
        XCTAssertThrowsError(try ReportStyle.decodePiing(Array("{\"status\":\"valid\"}".utf8))) {
            XCTAssertEqual("\($0)", "cannot read the report: not a Piing preflight report (status, validationSummary, errorSummary, file)")
        }
    }

    /// Each style rendered by the library is what the command line prints for the same file.
    func testRenderersPrintWhatTheCommandLinePrints() throws {
        let path = try file("orders.csv", Self.csv)
        for style in ReportStyle.allCases where style != .text {
            let renderer = try ReportRenderer(style: style)
            let report = try Preflight.validate(file: path, schema: .genericTransactions, observers: renderer.observers)
            let cli = try run(["validate", "orders.csv", "--schema", "generic_transactions", "--report", style.rawValue])
            XCTAssertEqual(cli.status, 1)
            XCTAssertEqual(String(decoding: try renderer.render(report), as: UTF8.self), cli.stdout, style.rawValue)
            XCTAssertEqual(style.watchesTheRun, !renderer.observers.isEmpty)
        }
        // The text style: the same, but for the time and throughput.
        let renderer = try ReportRenderer(style: .text, maxErrors: 20)
        var options = ValidationOptions()
        options.maxErrors = 20
        let report = try Preflight.validate(file: path, schema: .genericTransactions, options: options)
        let cli = try run(["validate", "orders.csv", "--schema", "generic_transactions", "--report", "text"])
        let timing = /[0-9.]+ s, [0-9.]+ MB\/s/
        XCTAssertEqual(String(decoding: try renderer.render(report), as: UTF8.self).replacing(timing, with: "T"),
                       cli.stdout.replacing(timing, with: "T"))
        // ndjson written to a descriptor as the run goes.
        let out = try file("errors.ndjson", "")
        let descriptor = open(out, O_WRONLY | O_TRUNC)
        let streaming = try ReportRenderer(style: .ndjson, streamingTo: descriptor)
        let streamed = try Preflight.validate(file: path, schema: .genericTransactions, observers: streaming.observers)
        try streaming.write(streamed, to: descriptor)
        close(descriptor)
        XCTAssertEqual(try contents("errors.ndjson").split(separator: "\n").count, 5)
        XCTAssertEqual(try streaming.render(streamed), [])
    }
}

/// A finite async sequence of chunks, optionally failing after them.
struct Chunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let chunks: [[UInt8]]
    var failure: (any Error & Sendable)?

    init(_ chunks: [[UInt8]], failure: (any Error & Sendable)? = nil) {
        self.chunks = chunks
        self.failure = failure
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ArraySlice<[UInt8]>
        let failure: (any Error & Sendable)?
        mutating func next() async throws -> [UInt8]? {
            if let first = rest.popFirst() { return first }
            if let failure { throw failure }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks[...], failure: failure) }
}

/// The same line, forever, a thousand at a time.
private struct Endless: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let line: [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunk: [UInt8]
        mutating func next() async -> [UInt8]? {
            await Task.yield()
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunk: Array([[UInt8]](repeating: line, count: 1000).joined()))
    }
}

/// Counts what an observer is told.
private final class Counter: RowObserver, @unchecked Sendable {
    var begins: [String] = []
    var rows = 0
    var finishes = 0

    func begin(format: InputFormat, name: String) throws(PreflightError) { begins.append("\(format.rawValue) \(name)") }
    func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) throws(PreflightError) { rows += 1 }
    func finish() throws(PreflightError) { finishes += 1 }
}

/// Fails at the start of the run with the given error.
private final class Failing: RowObserver, @unchecked Sendable {
    let error: PreflightError
    init(_ error: PreflightError) { self.error = error }
    func begin(format: InputFormat, name: String) throws(PreflightError) { throw error }
}

/// Asks the run to stop at its first look.
private final class StopAtOnce: RunMonitor {
    func progress(bytesRead: Int, totalBytes: Int?) {}
    var stopRequested: Bool { true }
}
