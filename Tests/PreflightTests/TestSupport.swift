import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// Where the copied third-party suites live (next to this folder, so no bundle resources needed).
let fixturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

/// An error reduced to what tests compare: (row, line, field, code).
struct Located: Equatable, CustomStringConvertible {
    let row: Int
    let line: Int
    let field: String?
    let code: String

    init(_ row: Int, _ line: Int, _ field: String?, _ code: String) {
        self.row = row
        self.line = line
        self.field = field
        self.code = code
    }

    var description: String { "(\(row), \(line), \(field ?? "-"), \(code))" }
}

func validate(_ text: String, _ format: InputFormat, schema: Schema = .genericTransactions,
              configure: (inout ValidationOptions) -> Void = { _ in }) throws -> ValidationReport {
    try validate(bytes: Array(text.utf8), format, schema: schema, configure: configure)
}

func validate(bytes: [UInt8], _ format: InputFormat, schema: Schema = .genericTransactions,
              configure: (inout ValidationOptions) -> Void = { _ in }) throws -> ValidationReport {
    var options = ValidationOptions(schema: schema, format: format)
    options.maxErrors = 0
    configure(&options)
    return try Validator.validate(bytes: bytes, name: "test.\(format.rawValue)", options: options)
}

extension ValidationReport {
    var located: [Located] { errors.map { Located($0.row, $0.line, $0.field, $0.code) } }
    var codes: [String] { errors.map(\.code) }
}

/// A generic_transactions CSV header and a valid data line to build cases from.
let csvHeader = "transaction_id,amount,date,store_id"

/// Asserts a report's errors, in order, as (row, line, field, code).
func assertErrors(_ report: ValidationReport, _ expected: [Located], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(report.located, expected, file: file, line: line)
}

/// Tests that run the `preflight` executable, each in its own scratch folder.
class CLITestCase: XCTestCase {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("preflight")
    }

    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("preflight-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Writes `text` to a file in the scratch folder; returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        try file(name, bytes: Array(text.utf8))
    }

    func file(_ name: String, bytes: [UInt8]) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The content of a file in the scratch folder.
    func contents(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: scratch.appendingPathComponent(name)), as: UTF8.self)
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> Outcome {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary.path), "build the preflight product first")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = scratch
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }
}
