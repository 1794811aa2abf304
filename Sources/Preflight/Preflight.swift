import Dispatch
import Synchronization

/// The way in: validate a file, bytes in memory, a file descriptor or an async sequence of byte
/// chunks against a ``Schema``, and get a ``ValidationReport``.
///
/// ```swift
/// let report = try await Preflight.validate(file: "orders.csv", schema: .genericTransactions)
/// print(report.status, report.invalidRows, "of", report.totalRows, "rows would be rejected")
/// ```
///
/// Every function but `validate(chunks:…)` comes twice: `async` (the run goes on a thread of its
/// own, so the caller's task is free; cancelling the task stops the run at its next chunk of rows
/// and throws ``PreflightError/cancelled``), and synchronous, for callers without concurrency (a
/// command-line tool, a script). In async code Swift picks the `async` one, so write
/// `try await`; the synchronous one is what synchronous code gets.
///
/// What is wrong with the input is the report, not an error: the functions throw only when the
/// input cannot be read at all or its format cannot be told from its name, an observer cannot
/// write, or the task is cancelled.
///
/// `observers` receive every row in order with its bytes and errors while the run goes (the
/// rejected rows, a split, a report style's collector); each is told ``RowObserver/finish()`` after
/// the last row of a complete run. `monitor` is told the progress every 0.1 s and may ask the run
/// to stop (then the report comes back with ``ValidationReport/isComplete`` false).
public enum Preflight {
    // MARK: Synchronous

    /// Validates the file at `path` (gzip is inflated on the way in); the report names the file by
    /// its last path component.
    public static func validate(file path: String, schema: Schema, options: ValidationOptions = ValidationOptions(),
                                observers: [any RowObserver] = [], monitor: (any RunMonitor)? = nil)
        throws(PreflightError) -> ValidationReport {
        try Input.file(path).validate(schema, options, RunHooks(observers: observers, monitor: monitor), RunControl())
    }

    /// Validates bytes held in memory; `name` is the name the report gives them (and tells the
    /// format when ``ValidationOptions/format`` is not set).
    public static func validate(bytes: [UInt8], name: String, schema: Schema,
                                options: ValidationOptions = ValidationOptions(), observers: [any RowObserver] = [],
                                monitor: (any RunMonitor)? = nil) throws(PreflightError) -> ValidationReport {
        try Input.bytes(bytes, name: name).validate(schema, options, RunHooks(observers: observers, monitor: monitor),
                                                   RunControl())
    }

    /// Validates everything readable from an open file descriptor (a pipe, a socket, standard
    /// input), as a stream, until its end. The descriptor stays open.
    public static func validate(descriptor: Int32, name: String, schema: Schema,
                                options: ValidationOptions = ValidationOptions(), observers: [any RowObserver] = [],
                                monitor: (any RunMonitor)? = nil) throws(PreflightError) -> ValidationReport {
        try Input.descriptor(descriptor, name: name).validate(schema, options,
                                                             RunHooks(observers: observers, monitor: monitor), RunControl())
    }

    // MARK: Async, cancellable

    /// Validates the file at `path` on a thread of its own, as its synchronous twin does.
    public static func validate(file path: String, schema: Schema, options: ValidationOptions = ValidationOptions(),
                                observers: [any RowObserver] = [], monitor: (any RunMonitor)? = nil)
        async throws(PreflightError) -> ValidationReport {
        try await Input.file(path).validateCancellable(schema, options, observers: observers, monitor: monitor)
    }

    /// Validates bytes held in memory on a thread of its own.
    public static func validate(bytes: [UInt8], name: String, schema: Schema,
                                options: ValidationOptions = ValidationOptions(), observers: [any RowObserver] = [],
                                monitor: (any RunMonitor)? = nil) async throws(PreflightError) -> ValidationReport {
        try await Input.bytes(bytes, name: name).validateCancellable(schema, options, observers: observers,
                                                                     monitor: monitor)
    }

    /// Validates everything readable from an open file descriptor on a thread of its own. A
    /// cancelled run stops at its next chunk of rows, or when the next read returns.
    public static func validate(descriptor: Int32, name: String, schema: Schema,
                                options: ValidationOptions = ValidationOptions(), observers: [any RowObserver] = [],
                                monitor: (any RunMonitor)? = nil) async throws(PreflightError) -> ValidationReport {
        try await Input.descriptor(descriptor, name: name).validateCancellable(schema, options, observers: observers,
                                                                               monitor: monitor)
    }

    /// Validates the bytes an async sequence yields, chunk after chunk (a download, an upload
    /// body, a decompressor), as one input called `name`. Chunks may cut rows, quoted fields and
    /// characters anywhere. The sequence is iterated by a task of its own while the rows are
    /// checked on another thread; at most `bufferLimit` bytes wait between the two (the sequence
    /// is not asked for more until validation catches up). When the run ends before the sequence
    /// does (an observer failed, a monitor asked to stop), that task is cancelled and the call
    /// returns without waiting for the sequence.
    ///
    /// An error the sequence throws ends the run with ``PreflightError/cannotRead(path:reason:)``.
    public static func validate<Chunks: AsyncSequence>(
        chunks: sending Chunks, name: String, schema: Schema, options: ValidationOptions = ValidationOptions(),
        observers: [any RowObserver] = [], monitor: (any RunMonitor)? = nil, bufferLimit: Int = 16 << 20
    ) async throws(PreflightError) -> ValidationReport where Chunks.Element: Collection, Chunks.Element.Element == UInt8 {
        let options = try options.resolved(schema: schema, name: name)
        if Task.isCancelled { throw .cancelled }
        let feed = ChunkFeed(limit: max(bufferLimit, 1))
        // A stop (the task cancelled, a monitor's request) also wakes a reader waiting for chunks,
        // with a failure: a stopped feed never reads as the input's end.
        let control = RunControl(onStop: { feed.finish(.cancelled) })
        let done = Completion()
        let work = Unchecked((RunHooks(observers: observers, monitor: monitor), options))
        DispatchQueue.global().async {
            let result = Result { () throws(PreflightError) in
                try Validator.validate(.feed(feed, name: name, windowSize: work.value.1.effectiveWindowSize),
                                       name: name, options: work.value.1, hooks: work.value.0, control: control)
            }
            feed.readerDone()
            done.finish(result)
        }
        // The sequence is read by a task of its own, so that the call returns as soon as the run
        // ends, whether or not the sequence has more to give (it is then cancelled).
        let pump = ChunkPump(chunks)
        let producer = Task {
            do {
                while let chunk = try await pump.next() {
                    if Task.isCancelled { break }
                    guard await feed.put(chunk) else { break }
                }
                feed.finish(Task.isCancelled ? .cancelled : nil)
            } catch {
                feed.finish(Task.isCancelled ? .cancelled : .cannotRead(path: name, reason: "\(error)"))
            }
        }
        let result = await withTaskCancellationHandler {
            await done.value
        } onCancel: {
            producer.cancel()
            control.requestStop()
        }
        producer.cancel()
        return try await settle(result, control: control)
    }

    // MARK: Running

    /// Where a run's bytes come from (all but the chunk feed, which needs the caller's task).
    private enum Input: Sendable {
        case file(String)
        case bytes([UInt8], name: String)
        case descriptor(Int32, name: String)

        var name: String {
            switch self {
            case .file(let path): return Validator.fileName(of: path)
            case .bytes(_, let name), .descriptor(_, let name): return name
            }
        }

        func validate(_ schema: Schema, _ options: ValidationOptions, _ hooks: RunHooks, _ control: RunControl)
            throws(PreflightError) -> ValidationReport {
            let options = try options.resolved(schema: schema, name: name)
            let window = options.effectiveWindowSize
            return try Validator.validate({ () throws(PreflightError) -> WindowedSource in
                switch self {
                case .file(let path): return try .open(path: path, windowSize: window, maps: options.mapsFiles)
                case .bytes(let bytes, let name): return .memory(bytes, name: name, windowSize: window)
                case .descriptor(let descriptor, let name): return .stream(descriptor: descriptor, name: name, windowSize: window)
                }
            }(), name: name, options: options, hooks: hooks, control: control)
        }

        /// Runs on a Dispatch thread (never blocking the caller's task) and asks the run to stop
        /// when the task is cancelled.
        func validateCancellable(_ schema: Schema, _ options: ValidationOptions, observers: [any RowObserver],
                                 monitor: (any RunMonitor)?) async throws(PreflightError) -> ValidationReport {
            _ = try options.resolved(schema: schema, name: name)  // a usage error before any thread
            if Task.isCancelled { throw .cancelled }
            let control = RunControl()
            let done = Completion()
            let hooks = Unchecked(RunHooks(observers: observers, monitor: monitor))
            DispatchQueue.global().async {
                done.finish(Result { () throws(PreflightError) in try validate(schema, options, hooks.value, control) })
            }
            let result = await withTaskCancellationHandler {
                await done.value
            } onCancel: {
                control.requestStop()
            }
            return try await settle(result, control: control)
        }
    }

    /// A run's result as the async functions give it: an incomplete report of a cancelled task is
    /// ``PreflightError/cancelled``.
    fileprivate static func settle(_ result: Result<ValidationReport, PreflightError>, control: RunControl)
        async throws(PreflightError) -> ValidationReport {
        let report = try result.get()
        if !report.isComplete, control.isStopRequested, Task.isCancelled { throw .cancelled }
        return report
    }
}

/// The caller's sequence of chunks behind one non-generic face, handed to the task that reads it
/// (the only one that ever calls `next`).
private final class ChunkPump: @unchecked Sendable {
    private let nextChunk: () async throws -> [UInt8]?

    init<Chunks: AsyncSequence>(_ chunks: sending Chunks)
        where Chunks.Element: Collection, Chunks.Element.Element == UInt8 {
        var iterator = chunks.makeAsyncIterator()
        nextChunk = { try await iterator.next().map { $0 as? [UInt8] ?? Array($0) } }
    }

    func next() async throws -> [UInt8]? { try await nextChunk() }
}

/// Hands a value across threads when the code guarantees it is used by one thread at a time (the
/// observers: the run calls them from one thread, and the caller gets them back only after it).
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A result set once by a Dispatch thread and awaited by a task.
private final class Completion: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Result<ValidationReport, PreflightError>, Never>?)
        case done(Result<ValidationReport, PreflightError>)
    }

    private let state = Mutex(State.waiting(nil))

    func finish(_ result: Result<ValidationReport, PreflightError>) {
        let waiter: CheckedContinuation<Result<ValidationReport, PreflightError>, Never>? = state.withLock { state in
            guard case .waiting(let waiter) = state else { return nil }
            state = .done(result)
            return waiter
        }
        waiter?.resume(returning: result)
    }

    var value: Result<ValidationReport, PreflightError> {
        get async {
            await withCheckedContinuation { continuation in
                let ready: Result<ValidationReport, PreflightError>? = state.withLock { state in
                    switch state {
                    case .done(let result): return result
                    case .waiting: state = .waiting(continuation); return nil
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
