/// Watches a long run from outside: told how far reading has got after every window, and asked
/// there whether to stop (Ctrl-C). Called from the validating thread.
public protocol RunMonitor: AnyObject {
    /// `bytesRead` of the input as stored (compressed bytes for gzip) out of `totalBytes` when
    /// the size is known (a regular file).
    func progress(bytesRead: Int, totalBytes: Int?)
    /// When true, the run stops at the next window and its report says it is incomplete.
    var stopRequested: Bool { get }
}

/// How a run reports to the outside while it goes: observers of its rows and a monitor.
public struct RunHooks {
    public var observers: [any RowObserver]
    public var monitor: (any RunMonitor)?

    public init(observers: [any RowObserver] = [], monitor: (any RunMonitor)? = nil) {
        self.observers = observers
        self.monitor = monitor
    }
}
