/// The public entry point: it wires an input, a format driver and the window loop, and returns
/// the report. Everything that knows bytes is in Input/ and Formats/, every rule in Rules/, the
/// loop and the merge in Engine/.
public enum Validator {
    /// Validates the file at `path`. `hooks` receive its rows and watch its progress.
    public static func validate(path: String, options: ValidationOptions, hooks: RunHooks = RunHooks())
        throws(PreflightError) -> ValidationReport {
        let source = try WindowedSource.open(path: path, windowSize: options.effectiveWindowSize,
                                             maps: options.mapsFiles)
        return try validate(source, name: fileName(of: path), options: options, hooks: hooks)
    }

    /// Validates everything readable from a file descriptor (standard input), as a stream.
    public static func validate(descriptor: Int32, name: String, options: ValidationOptions,
                                hooks: RunHooks = RunHooks()) throws(PreflightError) -> ValidationReport {
        let source = WindowedSource.stream(descriptor: descriptor, name: name, windowSize: options.effectiveWindowSize)
        return try validate(source, name: name, options: options, hooks: hooks)
    }

    /// Validates bytes held in memory.
    public static func validate(bytes: [UInt8], name: String, options: ValidationOptions, hooks: RunHooks = RunHooks())
        throws(PreflightError) -> ValidationReport {
        let source = WindowedSource.memory(bytes, name: name, windowSize: options.effectiveWindowSize)
        return try validate(source, name: name, options: options, hooks: hooks)
    }

    private static func validate(_ source: WindowedSource, name: String, options: ValidationOptions, hooks: RunHooks)
        throws(PreflightError) -> ValidationReport {
        var options = options
        options.tracksRows = !hooks.observers.isEmpty
        let delivery = hooks.observers.isEmpty ? nil : RowDelivery(hooks.observers)
        let control = RunControl()
        let ticker = hooks.monitor.map { ProgressTicker(monitor: $0, control: control, totalBytes: source.inputSize) }
        defer {
            ticker?.stop()
            hooks.monitor?.progress(bytesRead: source.inputBytesRead, totalBytes: source.inputSize)
        }
        if options.format == .json, try !JSONArrayDriver.startsWithArray(source) {
            var run = JSONDocumentRun(options: options, delivery: delivery, control: control)
            try run.validate(source)
            return run.outcome.report(name: name, sizeBytes: source.bytesRead, options: options)
        }
        let run = RunContext(source: source, options: options, firstDataRow: options.format == .csv ? 2 : 1,
                             delivery: delivery, control: control, monitor: hooks.monitor)
        switch options.format {
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
        return run.report(name: name)
    }

    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        let name = String(path[path.index(after: slash)...])
        return name.isEmpty ? path : name
    }
}
