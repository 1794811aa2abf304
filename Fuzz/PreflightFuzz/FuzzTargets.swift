// Fuzz targets for libFuzzer (Scripts/fuzz.sh builds this with -sanitize=fuzzer,address and
// -DFUZZING). Without FUZZING it is a replay tool: `preflight-fuzz TARGET FILE...` runs saved
// inputs (crashers, corpora) through the same checks.
@_spi(Fuzzing) @_spi(Tuning) import Preflight
import CScan

#if canImport(Glibc)
import Glibc
#endif

/// What each input is run through. Every target also checks invariants, so a wrong answer is a
/// crash too: counts add up, and the report is the same for 1 and 3 threads and for small windows.
enum FuzzTarget: String, CaseIterable {
    case csv, ndjson, json, values, csvscan

    func run(_ data: [UInt8]) {
        switch self {
        case .csv: checkFormat(data, .csv, schema: .genericTransactions)
        case .ndjson: checkFormat(data, .ndjson, schema: .productsupStream)
        case .json: checkFormat(data, .json, schema: .squarePOS)
        case .values: checkValues(data)
        case .csvscan: checkScanKernels(data)
        }
    }

    private func report(_ data: [UInt8], _ format: InputFormat, schema: Schema, threads: Int, window: Int,
                        engine: CSVEngine = .prescan, observers: [any RowObserver] = []) -> String? {
        var options = ValidationOptions(schema: schema, format: format)
        options.csvEngine = engine
        options.threads = threads
        options.windowSize = window
        options.lineCap = 64
        options.maxErrors = 0
        options.maxRows = 50
        let report: ValidationReport
        do {
            report = try Validator.validate(bytes: data, name: "fuzz", options: options,
                                            hooks: RunHooks(observers: observers))
        } catch {
            // Refusing an input it cannot read (gzip) is an answer; anything else is a failure.
            precondition(error.isInputUnreadable, "the validator failed: \(error)")
            return nil
        }
        precondition(report.validRows + report.invalidRows == report.totalRows, "row counts do not add up")
        precondition(report.errorCounts.values.reduce(0, +) == report.totalErrors, "error counts do not add up")
        for case let accounting as RowAccounting in observers {
            precondition(accounting.rows == report.totalRows, "observers saw \(accounting.rows) rows, not \(report.totalRows)")
            precondition(accounting.rejected == report.invalidRows, "observers saw other invalid rows")
            precondition(accounting.bytes <= data.count, "observers saw more bytes than the input has")
        }
        return (try? ReportRenderer(style: .piing).render(report)).map { String(decoding: $0, as: UTF8.self) }
    }

    private func checkFormat(_ data: [UInt8], _ format: InputFormat, schema: Schema) {
        // The same window, different thread counts: the report must not change. (Across window
        // sizes it may, for a JSON element longer than the smaller window: that one is checked
        // for structure only. README, behaviour notes.)
        let one = report(data, format, schema: schema, threads: 1, window: 1 << 16)
        precondition(one == report(data, format, schema: schema, threads: 3, window: 1 << 16),
                     "the report depends on the thread count")
        let small = report(data, format, schema: schema, threads: 1, window: 64 + 4096)
        precondition(small == report(data, format, schema: schema, threads: 3, window: 64 + 4096),
                     "the report depends on the thread count (small windows)")
        if format == .csv {
            precondition(report(data, format, schema: schema, threads: 1, window: 1 << 16, engine: .libcsv) == one,
                         "the CSV engines disagree")
        }
        // Rows to observers (every error, every row's bytes) change nothing in the report, and
        // every row reaches them once.
        precondition(report(data, format, schema: schema, threads: 3, window: 64 + 4096, observers: [RowAccounting()])
                         == small, "observers change the report")
    }

    /// Every CSV structural kernel this processor runs gives the portable kernel's entries, for
    /// each delimiter and for a capacity that makes it stop early and one that does not.
    private func checkScanKernels(_ data: [UInt8]) {
        guard !data.isEmpty else { return }
        // The first byte picks the delimiter and the capacity; the rest is the CSV.
        let delimiter: UInt8 = [0x2C, 0x3B, 0x09, 0x7C][Int(data[0] & 3)]
        let capacity = data[0] & 4 == 0 ? 128 : 1 << 14
        let input = Array(data.dropFirst())
        func scan(_ kernel: Int32) -> ([UInt32], Int) {
            var entries = [UInt32](repeating: 0, count: capacity)
            var scanned = 0
            let count = input.withUnsafeBufferPointer { bytes in
                pfscan_csv(kernel, bytes.baseAddress, bytes.count, delimiter, &entries,
                           capacity, &scanned)
            }
            return (Array(entries.prefix(count)), scanned)
        }
        let portable = scan(Int32(PFSCAN_KERNEL_PORTABLE))
        for kernel in 1..<Int32(PFSCAN_KERNEL_COUNT) where pfscan_kernel_available(kernel) != 0 {
            precondition(scan(kernel) == portable, "kernel \(String(cString: pfscan_kernel_name(kernel))) differs")
        }
        // The JSON value-end kernel on the same bytes, read as a value starting with `{`, `[` or `"`.
        let value = [[UInt8(ascii: "{")], [UInt8(ascii: "[")], [UInt8(ascii: "\"")], []][Int(data[0] >> 6)] + input
        func valueEnd(_ kernel: Int32) -> (Int, Int) {
            var lines = 0
            let end = value.withUnsafeBufferPointer { pfscan_json_value_end(kernel, $0.baseAddress, $0.count, &lines) }
            return (end, lines)
        }
        let portableEnd = valueEnd(Int32(PFSCAN_KERNEL_PORTABLE))
        for kernel in 1..<Int32(PFSCAN_KERNEL_COUNT) where pfscan_kernel_available(kernel) != 0 {
            precondition(valueEnd(kernel) == portableEnd, "JSON value end: kernel \(kernel) differs")
        }
    }

    private func checkValues(_ data: [UInt8]) {
        data.withUnsafeBytes { text in
            let integer = ValueChecks.isInteger(text)
            let decimal = ValueChecks.isDecimal(text)
            precondition(!integer || decimal, "an integer that is not a decimal")
            if decimal { _ = ValueChecks.isPositiveDecimal(text) }
            let date = ValueChecks.checkDate(text)
            let datetime = ValueChecks.checkDatetime(text)
            precondition(date != .valid || datetime == .valid, "a date that is not a datetime")
            _ = ValueChecks.hasControlCharacter(text)
            _ = ValueChecks.isBlank(text)
            // Schema files' types: each grammar inside the wider one; every number is read exactly.
            let jsonInteger = ValueChecks.isJSONInteger(text)
            let jsonNumber = ValueChecks.isJSONNumber(text)
            let number = ValueChecks.isNumber(text)
            precondition(!jsonInteger || jsonNumber, "a JSON integer that is not a JSON number")
            precondition(!jsonNumber || number, "a JSON number that is not a number")
            precondition(!decimal || number, "a decimal that is not a number")
            if number, !text.elementsEqual("NaN".utf8), !text.elementsEqual("INF".utf8), !text.elementsEqual("-INF".utf8) {
                precondition(ValueChecks.decimalDigits(text) != nil, "a number that cannot be read exactly")
            }
            // A datetime's time part is a time.
            if datetime == .valid, text.count > 10 {
                precondition(ValueChecks.checkTime(UnsafeRawBufferPointer(rebasing: text[11...])) == .valid,
                             "a datetime whose time is not a time")
            }
            _ = ValueChecks.scalarCount(text)
        }
    }
}

/// Counts what observers receive: rows, rows with a row-level error, bytes.
final class RowAccounting: RowObserver {
    var rows = 0
    var rejected = 0
    var bytes = 0
    private var open = false

    func header(_ bytes: UnsafeRawBufferPointer) {
        precondition(rows == 0, "the header came after rows")
        self.bytes += bytes.count
    }

    func beginRow(row: Int, line: Int, issues: ArraySlice<ValidationIssue>) {
        precondition(!open, "a row began inside another")
        open = true
        rows += 1
        if issues.contains(where: { !$0.isFileLevel }) { rejected += 1 }
        precondition(issues.allSatisfy { $0.row == row }, "a row got another row's errors")
    }

    func rowBytes(_ bytes: UnsafeRawBufferPointer) {
        precondition(open, "bytes outside a row")
        self.bytes += bytes.count
    }

    func endRow() {
        precondition(open, "a row ended twice")
        open = false
    }

    func fileIssue(_ issue: ValidationIssue) {}

    func discardRows() {
        open = false
        rows = 0
        rejected = 0
        bytes = 0
    }
}

nonisolated(unsafe) private var selectedTarget: FuzzTarget?

/// libFuzzer's entry point. The target comes from PREFLIGHT_FUZZ_TARGET.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int32 {
    if selectedTarget == nil {
        let name = getenv("PREFLIGHT_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("set PREFLIGHT_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        selectedTarget = target
    }
    selectedTarget!.run(Array(UnsafeBufferPointer(start: bytes, count: count)))
    return 0
}

#if FUZZING
/// libFuzzer's driver (libclang_rt.fuzzer).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32) -> Int32

/// SwiftPM links executables with `main` aliased to this symbol: hand over to libFuzzer.
@_cdecl("preflight_fuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzOneInput($0, $1) }
}
#else
@main
struct FuzzReplay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: preflight-fuzz csv|ndjson|json|values|csvscan FILE...")
            exit(64)
        }
        for path in arguments.dropFirst() {
            guard let file = fopen(path, "rb") else { print("cannot open \(path)"); exit(66) }
            var data: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let got = fread(&buffer, 1, buffer.count, file)
                if got <= 0 { break }
                data += buffer[0..<got]
            }
            fclose(file)
            target.run(data)
            print("ok \(path)")
        }
    }
}
#endif
