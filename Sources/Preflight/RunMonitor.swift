/// Watches a long run from outside: told how far it has got every 0.1 s, and asked as often
/// whether to stop (Ctrl-C). Called from a background thread while the run goes (and from the
/// validating thread at window boundaries and once at the end), never after `validate` returns.
public protocol RunMonitor: AnyObject, Sendable {
    /// `bytesRead` of the input as stored (compressed bytes for gzip) checked so far, out of
    /// `totalBytes` when the size is known (a regular file). Never decreases within a run.
    func progress(bytesRead: Int, totalBytes: Int?)
    /// When true, the workers stop within a few rows and the run's report says it is incomplete.
    var stopRequested: Bool { get }
}

/// How a run reports to the outside while it goes: observers of its rows and a monitor.
@_spi(Tuning) public struct RunHooks {
    public var observers: [any RowObserver]
    public var monitor: (any RunMonitor)?

    public init(observers: [any RowObserver] = [], monitor: (any RunMonitor)? = nil) {
        self.observers = observers
        self.monitor = monitor
    }
}
