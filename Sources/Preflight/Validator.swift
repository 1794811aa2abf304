#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine's entry: it wires an input, a format driver and the window loop, and returns the
/// report. Everything that knows bytes is in Input/ and Formats/, every rule in Rules/, the loop
/// and the merge in Engine/. ``Preflight`` is the public way in; this is for the benchmark, the
/// fuzz targets and tests, which set the schema and format in the options themselves.
@_spi(Tuning) public enum Validator {
    /// Validates the file at `path`. `hooks` receive its rows and watch its progress.
    public static func validate(path: String, options: ValidationOptions, hooks: RunHooks = RunHooks())
        throws(PreflightError) -> ValidationReport {
        try validate(.open(path: path, windowSize: options.effectiveWindowSize, maps: options.mapsFiles),
                     name: fileName(of: path), options: options, hooks: hooks, control: RunControl())
    }

    /// Validates everything readable from a file descriptor (standard input), as a stream.
    public static func validate(descriptor: Int32, name: String, options: ValidationOptions,
                                hooks: RunHooks = RunHooks()) throws(PreflightError) -> ValidationReport {
        try validate(.stream(descriptor: descriptor, name: name, windowSize: options.effectiveWindowSize),
                     name: name, options: options, hooks: hooks, control: RunControl())
    }

    /// Validates bytes held in memory.
    public static func validate(bytes: [UInt8], name: String, options: ValidationOptions, hooks: RunHooks = RunHooks())
        throws(PreflightError) -> ValidationReport {
        try validate(.memory(bytes, name: name, windowSize: options.effectiveWindowSize),
                     name: name, options: options, hooks: hooks, control: RunControl())
    }

    /// Runs `source` to its end (or until `control` is asked to stop: the report is then
    /// incomplete), then tells the observers of a complete run that it has finished. Rows held back
    /// for their verdicts are read again and handed over first (see `ReplayPoint`).
    static func validate(_ opening: @autoclosure () throws(PreflightError) -> WindowedSource, name: String,
                         options: ValidationOptions, hooks: RunHooks, control: RunControl)
        throws(PreflightError) -> ValidationReport {
        let source = try opening()
        for observer in hooks.observers { try observer.begin(format: options.inputFormat, name: name) }
        let delivery = hooks.observers.isEmpty ? nil : RowDelivery(hooks.observers)
        var (report, heldBack) = try run(source, name: name, options: options, delivery: delivery, hooks: hooks,
                                         control: control)
        if report.isComplete, let delivery {
            if let heldBack, let point = heldBack.replayPoint, let verdicts = heldBack.outcome.merger.replayVerdicts {
                let started = StageTimes.now
                report.isComplete = try readAgain(heldBack, from: point, verdicts: verdicts, delivery: delivery,
                                                  options: options, control: control, monitor: hooks.monitor)
                report.stages.secondReading = StageTimes.now - started
                report.seconds += report.stages.secondReading
            }
            if report.isComplete { try delivery.handOverHeldIssues() }
        }
        if report.isComplete {
            for observer in hooks.observers { try observer.finish() }
        }
        return report
    }

    /// The second reading: the rows from `point` on, checked again and handed over with the first
    /// reading's verdicts, from the input opened again or from the copy the first reading made.
    /// Returns false when it was stopped.
    private static func readAgain(_ first: RunContext, from point: ReplayPoint, verdicts: ReplayVerdicts,
                                  delivery: RowDelivery, options: ValidationOptions, control: RunControl,
                                  monitor: (any RunMonitor)?) throws(PreflightError) -> Bool {
        let source: WindowedSource
        let rows: RowRange
        if let copy = first.copy {
            let size = try copy.finishWriting()
            source = try .scratch(descriptor: copy.descriptor, size: size, name: first.source.name,
                                  windowSize: options.effectiveWindowSize)
            rows = RowRange(start: first.copyRowsStart, line: point.line)
        } else {
            // From the first held-back row to where the first reading's rows ended.
            source = try first.source.reopened()
            rows = RowRange(start: point.offset, line: point.line, end: first.rows?.end, inputSize: first.rows?.inputSize)
        }
        delivery.beginSecondReading()
        var options = options
        options.tracksRows = true
        let run = try RunContext(source: source, options: options, firstDataRow: options.inputFormat == .csv ? 2 : 1,
                                 delivery: delivery, control: control, monitor: monitor, rows: rows,
                                 replay: (point, verdicts))
        try loop(run, options: options, control: control)
        // A complete second reading ends on the first reading's last row, or the input changed.
        if run.outcome.isComplete, run.outcome.merger.dataRows != first.outcome.merger.dataRows {
            throw .changedWhileReading(first.source.name)
        }
        return run.outcome.isComplete
    }

    /// The first (usually only) reading; also returns its context when rows were held back.
    private static func run(_ source: WindowedSource, name: String, options: ValidationOptions, delivery: RowDelivery?,
                            hooks: RunHooks, control: RunControl)
        throws(PreflightError) -> (ValidationReport, RunContext?) {
        var options = options
        options.tracksRows = delivery != nil
        let ticker = hooks.monitor.map { ProgressTicker(monitor: $0, control: control, totalBytes: source.inputSize) }
        defer {
            ticker?.stop()
            hooks.monitor?.progress(bytesRead: source.inputBytesRead, totalBytes: source.inputSize)
        }
        let started = StageTimes.now
        var report: ValidationReport
        var heldBack: RunContext?
        var rows: RowRange?
        var input = source
        if options.inputFormat == .json, try !JSONArrayDriver.startsWithArray(source) {
            if let (wrapped, array) = try wrapperArray(source, options: options) {
                // A wrapper object whose array streams like a top-level one.
                input = wrapped
                rows = array
            } else {
                // Read whole: its rows cannot be read again from a point, so its ids stay in memory.
                // (From its start: looking for the wrapper may have moved the window on.)
                let whole = source.bytesRead - source.count != 0 ? try source.reopened() : source
                options.idsStayInMemory = delivery != nil
                var run = JSONDocumentRun(options: options, delivery: delivery, control: control)
                do {
                    try run.validate(whole)
                } catch {
                    throw run.outcome.merger.existingScratchFolder?.explainingFullDisk(error, growth: nil) ?? error
                }
                report = run.outcome.report(name: name, sizeBytes: whole.bytesRead, options: options)
                report.seconds = StageTimes.now - started
                return (report, nil)
            }
        }
        do {
            let run = try RunContext(source: input, options: options,
                                     firstDataRow: options.inputFormat == .csv ? 2 : 1,
                                     delivery: delivery, control: control, monitor: hooks.monitor, rows: rows)
            do {
                try loop(run, options: options, control: control)
            } catch {
                throw run.explainingFullDisk(error)
            }
            report = run.report(name: name)
            if run.replayPoint != nil { heldBack = run }
        }
        report.seconds = StageTimes.now - started
        return (report, heldBack)
    }

    /// Runs the window loop over `run` with the format's driver (a JSON document here is an array).
    private static func loop(_ run: RunContext, options: ValidationOptions, control: RunControl)
        throws(PreflightError) {
        switch options.inputFormat {
        case .csv:
            var driver = CSVDriver(options: options, control: control)
            try WindowLoop.run(&driver, in: run)
        case .ndjson:
            var driver = NDJSONDriver(options: options, control: control)
            try WindowLoop.run(&driver, in: run)
        case .json:
            var driver = JSONArrayDriver(options: options, control: control)
            try WindowLoop.run(&driver, in: run)
        }
    }

    /// For a JSON document that is not an array: when the input can be read again, its wrapper's
    /// array found (`JSONWrapperScan`) and the rest of the document valid, a fresh reading of the
    /// input and where the array lies in it. Nil otherwise: the document is then read whole.
    private static func wrapperArray(_ source: WindowedSource, options: ValidationOptions)
        throws(PreflightError) -> (WindowedSource, RowRange)? {
        guard source.canReadAgain, JSONWrapperScan.streams else { return nil }
        let contentStart = Bytes.hasBOM(source.bytes) ? 3 : 0
        guard let location = try JSONWrapperScan.locate(source, from: contentStart),
              try JSONWrapperScan.check(location, in: source.reopened(), from: contentStart, lineCap: options.lineCap)
        else { return nil }
        return (try source.reopened(),
                RowRange(start: location.start, line: location.line, end: location.end, inputSize: location.size))
    }

    /// Validates the rows of the file at `path` whose first byte lies in `range` (CSV, NDJSON) and
    /// writes what the merge needs to `partial` (see `PartialFile`): the shard's part of a run
    /// split by byte ranges. `firstRowAt`: where the first row starts, when known. Returns the
    /// trailer written.
    @_spi(CommandLine) public static func validateShard(path: String, schema: Schema, range: Range<Int>,
                                                        firstRowAt: Int?, options: ValidationOptions, partial: String)
        throws(PreflightError) {
        try shard(path: path, range: range, firstRowAt: firstRowAt,
                  options: options.resolved(schema: schema, name: fileName(of: path)), partial: partial)
    }

    /// A shard of a file whose bytes from offset `base` on come through `descriptor` (standard
    /// input: an object store's range read piped in); for CSV with `base` > 0 the header record
    /// comes first. `name`: the file's name in the report.
    /// `fileSize`: the whole file's size when known (standard input must then end there, if it is
    /// read to its end).
    @_spi(CommandLine) public static func validateShard(descriptor: Int32, base: Int, name: String, fileSize: Int?,
                                                        schema: Schema, range: Range<Int>, firstRowAt: Int?,
                                                        options: ValidationOptions, partial: String)
        throws(PreflightError) {
        let options = try options.resolved(schema: schema, name: name)
        let source = WindowedSource.stream(descriptor: descriptor, name: name,
                                           windowSize: shardOptions(options).effectiveWindowSize)
        try shard(source, name: name, path: "-", size: fileSize, modified: nil, base: base, range: range,
                  firstRowAt: firstRowAt, options: options, partial: partial)
    }

    @discardableResult
    static func shard(path: String, range: Range<Int>, firstRowAt: Int?, options: ValidationOptions,
                      partial: String) throws(PreflightError) -> PartialFile.Trailer {
        let source = try WindowedSource.open(path: path, windowSize: shardOptions(options).effectiveWindowSize,
                                             maps: options.mapsFiles)
        if let size = source.inputSize, range.upperBound > size {
            throw .notAPartial(path: path, reason: "the range \(range.lowerBound)-\(range.upperBound) ends after the "
                               + "file's end (\(size) bytes)")
        }
        return try shard(source, name: fileName(of: path), path: path, size: source.inputSize,
                         modified: modificationTime(of: path), base: nil, range: range, firstRowAt: firstRowAt,
                         options: options, partial: partial)
    }

    /// A shard's options: every error kept (the merge lists the first ones), and where each row lies.
    private static func shardOptions(_ options: ValidationOptions) -> ValidationOptions {
        var options = options
        options.maxErrors = 0
        options.tracksRows = true
        return options
    }

    @discardableResult
    private static func shard(_ source: WindowedSource, name: String, path: String, size: Int?, modified: Int?,
                              base: Int?, range: Range<Int>, firstRowAt: Int?, options: ValidationOptions,
                              partial: String) throws(PreflightError) -> PartialFile.Trailer {
        guard options.inputFormat != .json else {
            throw .notAPartial(path: path, reason: "a JSON document is validated whole: run it without --byte-range")
        }
        let options = shardOptions(options)
        let output = try OutputFile.create(path: partial)
        let shard = ShardRun(range: range, firstRowAt: firstRowAt, writer: try PartialWriter(output: output), base: base)
        let run = try RunContext(source: source, options: options, firstDataRow: options.inputFormat == .csv ? 2 : 1,
                                 delivery: nil, control: RunControl(), monitor: nil, shard: shard)
        try loop(run, options: options, control: RunControl())
        try shard.checkInputEnd(size: size, in: run)
        let trailer = shard.trailer(name: name, path: path, size: size, modified: modified, in: run)
        try shard.writer.finish(trailer)
        return trailer
    }

    /// A file's modification time in seconds (nil when it cannot be had).
    static func modificationTime(of path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.modificationTime.seconds
    }

    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        let name = String(path[path.index(after: slash)...])
        return name.isEmpty ? path : name
    }
}
