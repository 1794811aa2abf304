import Dispatch
import Synchronization

/// What the validating thread, its workers and the progress ticker share while a run goes: a stop
/// request that workers look at every few rows (so Ctrl-C is honoured within a fraction of a
/// second, not at the next 64 MiB window), and how far the workers have got in the current
/// window (so progress moves between windows).
final class RunControl: Sendable {
    private let stop = Atomic<Bool>(false)
    /// Input bytes (as stored: compressed for gzip) read before the current window, and up to its end.
    private let windowInputStart = Atomic<Int>(0)
    private let windowInputEnd = Atomic<Int>(0)
    /// Bytes in the current window, and how many of them the workers have passed so far.
    private let windowBytes = Atomic<Int>(0)
    private let checkedInWindow = Atomic<Int>(0)

    /// Rows between two looks at the stop flag (and two progress updates) in a worker.
    static let rowsPerLook = 64

    /// Called once a stop is asked for: wakes a reader waiting for input that may never come.
    private let onStop: @Sendable () -> Void

    init(onStop: @escaping @Sendable () -> Void = {}) {
        self.onStop = onStop
    }

    var isStopRequested: Bool { stop.load(ordering: .relaxed) }

    func requestStop() {
        stop.store(true, ordering: .relaxed)
        onStop()
    }

    /// A new window holds `bytes` bytes; reading the input got from `inputStart` to `inputEnd`.
    func beginWindow(bytes: Int, inputStart: Int, inputEnd: Int) {
        checkedInWindow.store(0, ordering: .relaxed)
        windowBytes.store(bytes, ordering: .relaxed)
        windowInputStart.store(inputStart, ordering: .relaxed)
        windowInputEnd.store(inputEnd, ordering: .relaxed)
    }

    /// A worker passed `bytes` more bytes of the window.
    func passed(_ bytes: Int) {
        if bytes > 0 { checkedInWindow.wrappingAdd(bytes, ordering: .relaxed) }
    }

    /// Called by a worker after each row: every `rowsPerLook` rows it publishes the bytes passed
    /// since `mark` and tells whether to go on.
    @inline(__always)
    func keepGoing(rows: Int, position: Int, mark: inout Int) -> Bool {
        guard rows % Self.rowsPerLook == 0 else { return true }
        passed(position - mark)
        mark = position
        return !isStopRequested
    }

    /// Input bytes (as stored) done so far: those before the window, plus the window's share
    /// that the workers have passed.
    var inputBytesDone: Int {
        let start = windowInputStart.load(ordering: .relaxed)
        let end = windowInputEnd.load(ordering: .relaxed)
        let total = windowBytes.load(ordering: .relaxed)
        guard total > 0, end > start else { return max(start, end) }
        let fraction = min(1, Double(checkedInWindow.load(ordering: .relaxed)) / Double(total))
        return start + Int(Double(end - start) * fraction)
    }
}

/// Calls a run's monitor from a timer while the run goes: progress every tick, and a stop
/// request passed on to the workers. Stopped (and waited for) before the run returns, so the
/// monitor is never called after that.
final class ProgressTicker: @unchecked Sendable {
    /// Ticks four times as often as the 0.25 s a progress display may wait at most.
    static let interval = DispatchTimeInterval.milliseconds(100)

    private let queue = DispatchQueue(label: "preflight.progress")
    private let timer: any DispatchSourceTimer
    // Touched only on `queue`.
    private var highest = 0

    init(monitor: any RunMonitor, control: RunControl, totalBytes: Int?) {
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + Self.interval, repeating: Self.interval)
        timer.setEventHandler { [unowned self] in
            // Never backwards, even when the window's numbers change under the read.
            highest = max(highest, control.inputBytesDone)
            monitor.progress(bytesRead: highest, totalBytes: totalBytes)
            if monitor.stopRequested { control.requestStop() }
        }
        timer.resume()
    }

    /// Stops the ticks; when this returns, no tick runs or will run.
    func stop() {
        queue.sync { timer.cancel() }
    }
}
