import Dispatch
import Synchronization

/// Carries byte chunks from an async producer (a task iterating an `AsyncSequence`) to the
/// validating thread, which reads them like a stream. The producer waits (without blocking a
/// thread) while more than `limit` bytes are queued, so memory stays bounded when the producer is
/// faster than validation; the reader blocks its own (Dispatch) thread while the queue is empty.
final class ChunkFeed: Sendable {
    private struct State {
        var queue: [[UInt8]] = []
        var queueStart = 0
        var queuedBytes = 0
        /// Set once the producer is done: nil for a normal end, else why it ended.
        var ended: PreflightError?? = nil
        /// The reader has gone: the producer stops.
        var readerGone = false
        var waitingProducer: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    /// One signal per chunk queued, one for the end.
    private let available = DispatchSemaphore(value: 0)
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Queues a chunk; waits while too much is queued. False when the reader wants no more.
    func put(_ chunk: [UInt8]) async -> Bool {
        if chunk.isEmpty { return true }
        let queued: (accepted: Bool, full: Bool) = state.withLock { state in
            guard !state.readerGone, state.ended == nil else { return (false, false) }
            state.queue.append(chunk)
            state.queuedBytes += chunk.count
            return (true, state.queuedBytes > limit)
        }
        // Nothing queued: no signal (one without a chunk would read as the end).
        guard queued.accepted else { return false }
        available.signal()
        if queued.full {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    guard state.queuedBytes > limit, !state.readerGone, state.ended == nil else { return true }
                    state.waitingProducer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        return state.withLock { !$0.readerGone }
    }

    /// No more chunks: `failure` nil for the input's end, else what the reader is to throw.
    func finish(_ failure: PreflightError?) {
        let (first, producer): (Bool, CheckedContinuation<Void, Never>?) = state.withLock { state in
            guard state.ended == nil else { return (false, nil) }
            state.ended = .some(failure)
            // A failure (a cancelled task) also frees a producer waiting for room.
            defer { if failure != nil { state.waitingProducer = nil } }
            return (true, failure != nil ? state.waitingProducer : nil)
        }
        producer?.resume()
        if first { available.signal() }
    }

    /// The reader will read no more (the run ended, or failed): a waiting producer goes on and stops.
    func readerDone() {
        let producer = state.withLock { state in
            state.readerGone = true
            state.queue = []
            state.queueStart = 0
            state.queuedBytes = 0
            defer { state.waitingProducer = nil }
            return state.waitingProducer
        }
        producer?.resume()
    }

    /// The next chunk, waiting for one; nil at the end. Throws what `finish` was given.
    func next() throws(PreflightError) -> [UInt8]? {
        available.wait()
        let (chunk, producer, ended): ([UInt8]?, CheckedContinuation<Void, Never>?, PreflightError??) =
            state.withLock { state in
                // A failure (a cancelled task) is thrown at once, before what is still queued.
                if case .some(.some) = state.ended { return (nil, nil, state.ended) }
                guard state.queueStart < state.queue.count else {
                    // Nothing queued after a signal: the end. Signal again so later calls see it too.
                    return (nil, nil, state.ended)
                }
                let chunk = state.queue[state.queueStart]
                state.queueStart += 1
                if state.queueStart > 64, state.queueStart * 2 > state.queue.count {
                    state.queue.removeFirst(state.queueStart)
                    state.queueStart = 0
                }
                state.queuedBytes -= chunk.count
                var producer: CheckedContinuation<Void, Never>?
                if state.queuedBytes <= limit {
                    producer = state.waitingProducer
                    state.waitingProducer = nil
                }
                return (chunk, producer, nil)
            }
        producer?.resume()
        if let chunk { return chunk }
        available.signal()
        if case .some(.some(let failure)) = ended { throw failure }
        return nil
    }
}

/// Reads a `ChunkFeed` as a stream of bytes: what is left of the current chunk, then the next.
final class ChunkReader {
    private let feed: ChunkFeed
    private var chunk: [UInt8] = []
    private var offset = 0
    private var ended = false

    init(_ feed: ChunkFeed) {
        self.feed = feed
    }

    deinit { feed.readerDone() }

    /// Up to `capacity` bytes into `target`; 0 at the end.
    func read(into target: UnsafeMutableRawPointer, capacity: Int) throws(PreflightError) -> Int {
        while offset == chunk.count {
            if ended { return 0 }
            guard let next = try feed.next() else {
                ended = true
                return 0
            }
            chunk = next
            offset = 0
        }
        let got = min(capacity, chunk.count - offset)
        chunk.withUnsafeBytes { target.copyMemory(from: $0.baseAddress! + offset, byteCount: got) }
        offset += got
        return got
    }
}
