#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

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
