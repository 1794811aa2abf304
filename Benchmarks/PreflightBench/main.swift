import ArgumentParser
import Dispatch
import Foundation
@_spi(Tuning) @_spi(CommandLine) import Preflight

/// One timed validation, checked against the truth.
struct Measurement: Codable {
    var format: String
    var rows: Int
    var bytes: Int
    var threads: Int
    /// The run's memory limit in bytes (0: none).
    var memoryLimit: Int
    var repetition: Int
    var seconds: Double
    var peakRSSBytes: Int
    /// Speed-up of the ALU probe measured just before (1.0 for one thread).
    var probe: Double
    var verified: Bool
    var mismatch: String?
    /// Seconds per stage of the run: reading, planning, checking, merging (the report's `stages`).
    var stages: [String: Double] = [:]
    /// Bytes of ids the duplicate check wrote to scratch files.
    var spilledBytes = 0

    var megabytesPerSecond: Double { Double(bytes) / 1e6 / seconds }
    var rowsPerSecond: Double { Double(rows) / seconds }
}

struct Floor: Codable {
    var format: String
    var rows: Int
    var name: String
    var threads: Int
    var seconds: Double
    var megabytesPerSecond: Double
}

struct PreflightBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight-bench",
        abstract: "Validate seeded synthetic data with known truth and print throughput beside the floors.",
        discussion: """
            Generates generic_transactions data (CSV, NDJSON, JSON) with every row-level error class at a \
            known rate, validates it at each thread count (1- and N-thread runs interleaved), checks every \
            count against the truth (a mismatch fails the run), and measures in the same run the floors: \
            memchr line count, libcsv raw parse, the CSV structural kernel alone (SIMD scan), simdjson per line, simdjson over the array, and an ALU \
            capacity probe. (No iterate_many floor: simdjson 3.0.1's document_stream derails on the \
            invalid lines this data holds, and crashed when restarted after one.)
            """)

    @Option(help: "Row counts, comma-separated.")
    var rows: String = "1000000,10000000"

    @Option(help: "Thread counts, comma-separated (default: 1 and all cores).")
    var threads: String?

    @Option(help: "Formats, comma-separated.")
    var formats: String = "csv,ndjson,json"

    @Option(help: "CSV engines to time, comma-separated (prescan, libcsv).")
    var csvEngines: String = "prescan,libcsv"

    @Option(help: "Where the generated files are kept (reused when present).")
    var directory: String = "/tmp/preflight-bench"

    @Option(help: "Timed repetitions per thread count; the best is reported.")
    var repeats: Int = 3

    @Option(help: "Memory limits to run under, comma-separated (as --memory-limit: 512M, 2G, 0 for none).")
    var memoryLimits: String = "512M"

    @Option(help: "One row in this many (of those without another error) repeats an earlier row's id, near or far (0: none beyond the error classes).")
    var duplicateEvery: Int = 0

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 42

    @Option(help: "One row in this many carries an injected error.")
    var errorEvery: Int = 100

    @Flag(help: "Leave out the floors (they load the whole file into memory: not for files larger than it).")
    var skipFloors = false

    @Flag(help: "Print the results as JSON.")
    var json = false

    @Option(help: "Instead of validating: time the pattern engines (PCRE2 JIT, Swift Regex) on this many values.")
    var patternEngines: Int?

    @Flag(help: "Instead of the usual runs: the cost of each constraint, on the first --rows count's CSV (1 thread).")
    var constraintCosts = false

    func run() throws {
        if let patternEngines {
            print(PatternEngines.run(count: patternEngines))
            return
        }
        let rowCounts = rows.split(separator: ",").compactMap { Int($0) }
        if constraintCosts {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let (path, _) = try dataFile(format: .csv, rows: rowCounts.first ?? 1_000_000)
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            print(try ConstraintCosts.run(path: path, bytes: size))
            return
        }
        let limits = try memoryLimits.split(separator: ",").map { text -> Int in
            guard let bytes = ValidationOptions.byteCount(String(text)), bytes == 0 || bytes >= 16 << 20 else {
                throw ValidationError("--memory-limits takes sizes such as 512M, 2G or 0, each at least 16M")
            }
            return bytes
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let threadCounts = threads.map { $0.split(separator: ",").compactMap { Int($0) } } ?? Array(Set([1, cores])).sorted()
        let chosenFormats = formats.split(separator: ",").compactMap { InputFormat(rawValue: String($0)) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        var measurements: [Measurement] = []
        var floors: [Floor] = []
        for rowCount in rowCounts {
            for format in chosenFormats {
                let (path, truth) = try dataFile(format: format, rows: rowCount)
                let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                progress("\(format.rawValue) \(rowCount) rows (\(size / 1_000_000) MB): validating")
                let engines = format == .csv ? csvEngines.split(separator: ",").compactMap { CSVEngine(rawValue: String($0)) }
                    : [CSVEngine.prescan]
                for engine in engines {
                    for repetition in 0..<repeats {
                        for limit in limits {
                            for threadCount in threadCounts {
                                let probe = threadCount > 1 ? Floors.capacityProbe(threads: threadCount) : 1
                                // This machine evicts idle page cache within minutes: read the file right before timing it.
                                Floors.warm(path: path)
                                measurements.append(try measure(path: path, format: format, engine: engine, rows: rowCount,
                                                                bytes: size, threads: threadCount, memoryLimit: limit,
                                                                repetition: repetition, probe: probe, truth: truth))
                            }
                        }
                    }
                }
                if !skipFloors {
                    progress("\(format.rawValue) \(rowCount) rows: floors")
                    floors += try measureFloors(path: path, format: format, rows: rowCount, size: size,
                                                threadCounts: threadCounts)
                }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Output: Codable { var measurements: [Measurement]; var floors: [Floor] }
            print(String(decoding: try encoder.encode(Output(measurements: measurements, floors: floors)), as: UTF8.self))
        } else {
            printTable(measurements, floors, threadCounts: threadCounts)
        }
        let failures = measurements.filter { !$0.verified }
        if !failures.isEmpty {
            for failure in failures {
                FileHandle.standardError.write(Data("preflight-bench: \(failure.format) \(failure.rows) rows, \(failure.threads) threads: \(failure.mismatch ?? "")\n".utf8))
            }
            throw ExitCode(1)
        }
    }

    private func progress(_ text: String) {
        FileHandle.standardError.write(Data("preflight-bench: \(text)\n".utf8))
    }

    /// The data file and its truth, generated unless already there.
    private func dataFile(format: InputFormat, rows: Int) throws -> (String, Truth) {
        let base = "\(directory)/tx-\(rows)-s\(seed)-e\(errorEvery)"
            + (duplicateEvery > 0 ? "-d\(duplicateEvery)" : "") + ".\(format.rawValue)"
        let truthPath = base + ".truth.json"
        if FileManager.default.fileExists(atPath: base), let data = FileManager.default.contents(atPath: truthPath),
           let truth = try? JSONDecoder().decode(Truth.self, from: data) {
            return (base, truth)
        }
        progress("generating \(base)")
        var generator = try DataGenerator(format: format, rows: rows, seed: seed, errorEvery: errorEvery,
                                          duplicateEvery: duplicateEvery, path: base)
        try generator.generate()
        try JSONEncoder().encode(generator.truth).write(to: URL(fileURLWithPath: truthPath))
        return (base, generator.truth)
    }

    private func measure(path: String, format: InputFormat, engine: CSVEngine, rows: Int, bytes: Int, threads: Int,
                         memoryLimit: Int, repetition: Int, probe: Double, truth: Truth) throws -> Measurement {
        var options = ValidationOptions(schema: .genericTransactions, format: format)
        options.threads = threads
        options.csvEngine = engine
        options.maxFileSize = 0
        options.maxRows = 0
        options.mapsFiles = true  // as the command line reads files
        options.memoryLimit = memoryLimit
        resetPeakRSS()
        let start = DispatchTime.now().uptimeNanoseconds
        let report = try Validator.validate(path: path, options: options)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var found = Truth()
        found.rows = report.totalRows
        found.invalidRows = report.invalidRows
        found.errors = report.errorCounts
        let mismatch = found == truth ? nil : "expected \(describe(truth)), found \(describe(found))"
        let label = engine == .prescan ? format.rawValue : "\(format.rawValue) (--csv-engine \(engine.rawValue))"
        return Measurement(format: label, rows: rows, bytes: bytes, threads: threads, memoryLimit: memoryLimit,
                           repetition: repetition, seconds: seconds, peakRSSBytes: peakRSS(), probe: probe,
                           verified: mismatch == nil, mismatch: mismatch,
                           stages: ["reading": report.stages.reading, "planning": report.stages.planning,
                                    "checking": report.stages.checking, "settling": report.stages.settling,
                                    "merging": report.stages.merging, "spilled ids": report.stages.settlingSpilledIDs],
                           spilledBytes: report.stages.spilledBytes)
    }

    private func describe(_ truth: Truth) -> String {
        "rows \(truth.rows), invalid \(truth.invalidRows), "
            + truth.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    private func measureFloors(path: String, format: InputFormat, rows: Int, size: Int, threadCounts: [Int]) throws -> [Floor] {
        var floors: [Floor] = []
        func best(_ body: () -> Double) -> Double { (0..<repeats).map { _ in body() }.min()! }
        func add(_ name: String, _ threads: Int, _ seconds: Double) {
            floors.append(Floor(format: format.rawValue, rows: rows, name: name, threads: threads, seconds: seconds,
                                megabytesPerSecond: Double(size) / 1e6 / seconds))
        }
        for threads in threadCounts {
            Floors.warm(path: path)
            add("memchr lines", threads, best { Floors.lineCount(path: path, size: size, threads: threads) })
        }
        let file = try Floors.LoadedFile(path: path)
        for threads in threadCounts {
            switch format {
            case .csv:
                add("libcsv", threads, best { Floors.libcsv(file, threads: threads) })
                add("SIMD scan", threads, best { Floors.csvScan(file, threads: threads) })
            case .ndjson:
                add("simdjson lines", threads, best { Floors.simdjsonLines(file, threads: threads) })
            case .json:
                if threads == 1 { add("simdjson array", 1, best { Floors.simdjsonArray(file) }) }
            }
        }
        return floors
    }

    private func printTable(_ measurements: [Measurement], _ floors: [Floor], threadCounts: [Int]) {
        func fixed(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }
        func limitText(_ bytes: Int) -> String {
            bytes == 0 ? "none" : bytes % (1 << 30) == 0 ? "\(bytes >> 30)G" : "\(bytes >> 20)M"
        }
        let limits = measurements.reduce(into: [Int]()) { if !$0.contains($1.memoryLimit) { $0.append($1.memoryLimit) } }
        print("| format | rows | MB | threads | memory limit | preflight MB/s | rows/s | peak RSS MB | spilled MB | floors MB/s (preflight ÷ floor) | counts |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        var keys: [(String, Int)] = []
        for m in measurements where !keys.contains(where: { $0 == (m.format, m.rows) }) { keys.append((m.format, m.rows)) }
        for (format, rowCount) in keys {
            for limit in limits {
            for threads in threadCounts {
                let runs = measurements.filter {
                    $0.format == format && $0.rows == rowCount && $0.threads == threads && $0.memoryLimit == limit
                }
                guard let bestRun = runs.min(by: { $0.seconds < $1.seconds }) else { continue }
                let floorFormat = String(format.prefix { $0 != " " })
                let floorText = floors.filter { $0.format == floorFormat && $0.rows == rowCount && $0.threads == threads }
                    .map { "\($0.name) \(fixed($0.megabytesPerSecond)) (\(fixed(bestRun.megabytesPerSecond / $0.megabytesPerSecond * 100))%)" }
                    .joined(separator: "; ")
                let verified = runs.allSatisfy(\.verified) ? "verified" : "MISMATCH"
                print("| \(format) | \(rowCount) | \(fixed(Double(bestRun.bytes) / 1e6)) | \(threads) | \(limitText(limit)) | \(fixed(bestRun.megabytesPerSecond)) | \(fixed(bestRun.rowsPerSecond / 1e6, 2))M | \(bestRun.peakRSSBytes / 1_000_000) | \(bestRun.spilledBytes / 1_000_000) | \(floorText) | \(verified) |")
            }
            }
        }
        print("")
        print("Where the time goes (best run; seconds, and share of the run): reading windows, planning chunks (JSON: the")
        print("element scan), checking (the workers, in parallel: parsing and rules), settling (one thread: CSV chunks")
        print("whose cut a malformed quote misled are read again), merging (order and duplicate ids), spilled ids (checking")
        print("at the end the ids that went past the memory limit):")
        print("| format | rows | threads | memory limit | total s | reading | planning | checking | settling | merging | spilled ids | other |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for (format, rowCount) in keys {
            for limit in limits {
            for threads in threadCounts {
                let runs = measurements.filter {
                    $0.format == format && $0.rows == rowCount && $0.threads == threads && $0.memoryLimit == limit
                }
                guard let bestRun = runs.min(by: { $0.seconds < $1.seconds }) else { continue }
                let names = ["reading", "planning", "checking", "settling", "merging", "spilled ids"]
                let parts = names.map { bestRun.stages[$0] ?? 0 }
                let cells = (parts + [bestRun.seconds - parts.reduce(0, +)]).map {
                    "\(fixed($0, 3)) (\(fixed($0 / bestRun.seconds * 100))%)"
                }
                print("| \(format) | \(rowCount) | \(threads) | \(limitText(limit)) | \(fixed(bestRun.seconds, 3)) | "
                      + cells.joined(separator: " | ") + " |")
            }
            }
        }
        guard let most = threadCounts.max(), most > 1 else { return }
        print("")
        print("Scaling, run by run (1 → \(most) threads), with the ALU capacity probe measured just before:")
        print("| format | rows | memory limit | repetition | 1 thread MB/s | \(most) threads MB/s | speed-up | probe |")
        print("|---|---|---|---|---|---|---|---|")
        for (format, rowCount) in keys {
            for limit in limits {
                for repetition in 0..<repeats {
                    func run(_ threads: Int) -> Measurement? {
                        measurements.first {
                            $0.format == format && $0.rows == rowCount && $0.threads == threads
                                && $0.repetition == repetition && $0.memoryLimit == limit
                        }
                    }
                    guard let one = run(1), let many = run(most) else { continue }
                    print("| \(format) | \(rowCount) | \(limitText(limit)) | \(repetition + 1) | \(fixed(one.megabytesPerSecond)) | \(fixed(many.megabytesPerSecond)) | \(fixed(one.seconds / many.seconds, 2))× | \(fixed(many.probe, 2))× |")
                }
            }
        }
    }
}

/// Resets the kernel's peak-RSS mark for this process (Linux: /proc/self/clear_refs, value 5).
func resetPeakRSS() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

/// Peak resident set size since the last reset, in bytes (VmHWM).
func peakRSS() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let digits = line.filter(\.isNumber)
        return (Int(digits) ?? 0) * 1024
    }
    return 0
}

PreflightBench.main()
