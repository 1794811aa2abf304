// Validates a file and prints a summary: its status, its counts, its errors by code and the first
// few errors. Usage: FileSummary FILE [SCHEMA-FILE] (without a schema file, generic_transactions).
import Preflight

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
guard let path = arguments.first else {
    print("usage: FileSummary FILE [SCHEMA-FILE]")
    exit(64)
}

do {
    let schema = try arguments.dropFirst().first.map { try SchemaFile.load(path: $0)[0] } ?? .genericTransactions
    let report = try Preflight.validate(file: path, schema: schema)
    print("\(report.file.name) against \(report.file.schemaType): \(report.status.rawValue)")
    print("  \(report.totalRows) rows, \(report.validRows) valid, \(report.invalidRows) invalid, \(report.totalErrors) errors")
    for (code, count) in report.errorCounts.sorted(by: { $0.key < $1.key }) {
        print("  \(code): \(count)")
    }
    for issue in report.errors.prefix(5) {
        print("  \(issue)")
    }
    exit(report.status == .valid ? 0 : 1)
} catch let error as SchemaError {
    print("FileSummary: \(error)")
    exit(64)
} catch {
    // A PreflightError: the input could not be read.
    print("FileSummary: \(error)")
    exit(66)
}
