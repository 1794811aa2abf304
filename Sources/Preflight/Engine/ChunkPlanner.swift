#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Cuts a window into chunks that start at row boundaries, so workers can read them in parallel.
enum ChunkPlanner {
    /// Chunk starts for `count` chunks over `start..<end`: each nominal cut moves to just after
    /// the next line break (NDJSON: every line is a row). The result begins with `start`; empty
    /// chunks are dropped.
    static func lineChunks(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, count: Int) -> [Int] {
        var starts = [start]
        guard count > 1 else { return starts }
        let size = (end - start) / count
        for index in 1..<count {
            let nominal = max(start + index * size, starts.last! + 1)
            guard nominal < end, let lf = Bytes.nextLF(bytes, from: nominal - 1, to: end), lf + 1 < end else { break }
            if lf + 1 > starts.last! { starts.append(lf + 1) }
        }
        return starts
    }

    /// Chunk starts for CSV: a cut goes after the first line break outside quotes at or after the
    /// nominal position, quote parity being counted from `start` (a record boundary). Parity is
    /// exact for well-formed quoting; where a malformed quote misleads it, the merge notices that
    /// a chunk did not end where the next one starts and reads that chunk again from the right place.
    static func csvChunks(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, count: Int) -> [Int] {
        var starts = [start]
        guard count > 1, end > start else { return starts }
        let size = (end - start) / count
        var parityStart = start
        var parity = 0
        for index in 1..<count {
            let nominal = start + index * size
            guard nominal > starts.last!, nominal < end else { continue }
            parity ^= Bytes.countQuotes(bytes, from: parityStart, to: nominal) & 1
            parityStart = nominal
            guard let cut = firstRecordStart(bytes, from: nominal, to: end, parity: parity) else { break }
            if cut > starts.last!, cut < end {
                starts.append(cut)
                parity = 0
                parityStart = cut
            }
        }
        return starts
    }

    /// Just after the first LF at or after `position` where the quote parity (starting at
    /// `parity`) is even.
    private static func firstRecordStart(_ bytes: UnsafeRawBufferPointer, from position: Int, to end: Int,
                                         parity: Int) -> Int? {
        var inQuotes = parity == 1
        var index = position
        let base = bytes.baseAddress!
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte == Bytes.quote {
                inQuotes.toggle()
            } else if byte == Bytes.lf, !inQuotes {
                return index + 1
            }
            index += 1
        }
        return nil
    }
}

/// Runs one task per chunk on Dispatch's worker threads and keeps each task's outcome.
enum Parallel {
    /// The number of online cores.
    static var coreCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// Calls `body(index)` for every index in `0..<count`, concurrently when `count` > 1, and
    /// returns the results in index order. The first error thrown is rethrown.
    static func map<T>(_ count: Int, _ body: (Int) throws(PreflightError) -> T) throws(PreflightError) -> [T] {
        if count == 1 { return [try body(0)] }
        let slots = UnsafeMutablePointer<Result<T, PreflightError>?>.allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
        defer {
            slots.deinitialize(count: count)
            slots.deallocate()
        }
        let shared = SharedSlots(slots)
        withoutActuallyEscaping(body) { body in
            let task = UnsafeTask(body)
            DispatchQueue.concurrentPerform(iterations: count) { index in
                do throws(PreflightError) {
                    shared.pointer[index] = .success(try task.body(index))
                } catch {
                    shared.pointer[index] = .failure(error)
                }
            }
        }
        var results: [T] = []
        results.reserveCapacity(count)
        for index in 0..<count {
            switch slots[index]! {
            case .success(let value): results.append(value)
            case .failure(let error): throw error
            }
        }
        return results
    }

    /// Each task writes only its own slot.
    private struct SharedSlots<T>: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<Result<T, PreflightError>?>
        init(_ pointer: UnsafeMutablePointer<Result<T, PreflightError>?>) { self.pointer = pointer }
    }

    /// Each task uses only its own worker (the callers index their workers by chunk).
    private struct UnsafeTask<T>: @unchecked Sendable {
        let body: (Int) throws(PreflightError) -> T
        init(_ body: @escaping (Int) throws(PreflightError) -> T) { self.body = body }
    }
}
