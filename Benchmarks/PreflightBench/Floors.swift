import CBenchFloors
import CScan
import CSimdJSON
import Dispatch
import Foundation

/// What the hardware and the parsers alone can do on the same file at the same thread count:
/// the floors preflight is measured against.
enum Floors {
    /// A whole file in memory with simdjson's padding after it.
    final class LoadedFile {
        let buffer: UnsafeMutableRawBufferPointer
        let count: Int

        init(path: String) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            count = data.count
            buffer = .allocate(byteCount: count + Int(csj_padding()), alignment: 64)
            data.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
            (buffer.baseAddress! + count).initializeMemory(as: UInt8.self, repeating: 0x20, count: Int(csj_padding()))
        }

        deinit { buffer.deallocate() }

        var base: UnsafeRawPointer { UnsafeRawPointer(buffer.baseAddress!) }
    }

    /// Splits `0..<count` into `parts` ranges that end at a line break (outside quotes when
    /// `quoted`, by quote parity).
    static func ranges(_ file: LoadedFile, parts: Int, quoted: Bool) -> [Range<Int>] {
        var starts = [0]
        let bytes = file.base.assumingMemoryBound(to: UInt8.self)
        var inQuotes = false
        var scanned = 0
        for part in 1..<max(parts, 1) {
            let nominal = file.count * part / parts
            var index = scanned
            while index < file.count {
                let byte = bytes[index]
                if quoted, byte == 0x22 { inQuotes.toggle() }
                if byte == 0x0A, !inQuotes, index >= nominal { break }
                index += 1
            }
            scanned = min(index + 1, file.count)
            if scanned > starts.last!, scanned < file.count { starts.append(scanned) }
        }
        return zip(starts, starts.dropFirst() + [file.count]).map { $0..<$1 }
    }

    /// Runs `body` on each range concurrently; returns the seconds it took.
    static func timed(_ ranges: [Range<Int>], _ body: @escaping @Sendable (Range<Int>) -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: ranges.count) { body(ranges[$0]) }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Line count with `pread` into 4 MiB buffers and `memchr`, one reader per thread.
    static func lineCount(path: String, size: Int, threads: Int) -> Double {
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        let parts = (0..<threads).map { (size * $0 / threads)..<(size * ($0 + 1) / threads) }
        return timed(parts) { range in
            let block = 4 << 20
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: block, alignment: 64)
            defer { buffer.deallocate() }
            var offset = range.lowerBound
            var lines = 0
            while offset < range.upperBound {
                let got = pread(descriptor, buffer, min(block, range.upperBound - offset), off_t(offset))
                if got <= 0 { break }
                var position = buffer
                var left = got
                while left > 0, let found = memchr(position, 0x0A, left) {
                    lines += 1
                    let next = found + 1
                    left -= position.distance(to: next)
                    position = next
                }
                offset += got
            }
            blackHole(lines)
        }
    }

    /// libcsv alone (strict, no trimming, counting callbacks) over each range.
    static func libcsv(_ file: LoadedFile, threads: Int) -> Double {
        let ranges = ranges(file, parts: threads, quoted: true)
        let base = UnsafeSendable(file.base)
        return timed(ranges) { range in
            var fields = 0, records = 0
            _ = bench_libcsv_count(base.value + range.lowerBound, range.count, UInt8(ascii: ","), &fields, &records)
            blackHole(fields)
        }
    }

    /// Reads the whole file once, so that the timed run that follows reads from the page cache.
    static func warm(path: String) {
        guard let file = fopen(path, "rb") else { return }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let got = fread(&buffer, 1, buffer.count, file)
            if got <= 0 { break }
            total += got
        }
        blackHole(total)
    }

    /// The CSV structural kernel alone (the fastest one this processor runs) over each range, in
    /// calls of 64 KiB as the reader makes them: every delimiter and record end found.
    static func csvScan(_ file: LoadedFile, threads: Int) -> Double {
        let ranges = ranges(file, parts: threads, quoted: true)
        let base = UnsafeSendable(file.base)
        return timed(ranges) { range in
            let entries = UnsafeMutablePointer<UInt32>.allocate(capacity: 1 << 14)
            defer { entries.deallocate() }
            let kernel = pfscan_best_kernel()
            var position = range.lowerBound
            var found = 0
            while position < range.upperBound {
                var scanned = 0
                let length = min(range.upperBound - position, 1 << 16)
                found += pfscan_csv(kernel, base.value.advanced(by: position).assumingMemoryBound(to: UInt8.self), length,
                                    UInt8(ascii: ","), entries, 1 << 14, &scanned)
                // A record longer than one call (the data's 2 MB ones) is passed over by line.
                position += scanned > 0 ? scanned : length
            }
            blackHole(found)
        }
    }

    /// simdjson On-Demand per line (memchr split), every field read as a raw token.
    static func simdjsonLines(_ file: LoadedFile, threads: Int) -> Double {
        let ranges = ranges(file, parts: threads, quoted: false)
        let base = UnsafeSendable(file.base)
        let capacity = file.count + Int(csj_padding())
        return timed(ranges) { range in
            blackHole(bench_simdjson_lines(base.value + range.lowerBound, range.count, capacity - range.lowerBound))
        }
    }

    /// simdjson On-Demand over the whole array (one thread: a document is one piece).
    static func simdjsonArray(_ file: LoadedFile) -> Double {
        let base = UnsafeSendable(file.base)
        let count = file.count
        return timed([0..<count]) { _ in
            blackHole(bench_simdjson_array(base.value, count, count + Int(csj_padding())))
        }
    }

    /// The capacity probe: the same ALU loop on 1 thread, then on `threads` at once. Returns the
    /// speed-up the machine gave (`threads` when every core is really there).
    static func capacityProbe(threads: Int) -> Double {
        let iterations = 100_000_000
        let work: @Sendable (Int) -> Void = { seed in
            var x = UInt64(seed + 1) &* 0x9E37_79B9_7F4A_7C15
            for _ in 0..<iterations {
                x ^= x << 13
                x ^= x >> 7
                x ^= x << 17
            }
            blackHole(Int(truncatingIfNeeded: x))
        }
        let one = timed([0..<1]) { _ in work(0) }
        let many = timed((0..<threads).map { $0..<($0 + 1) }) { work($0.lowerBound) }
        return Double(threads) * one / many
    }
}

/// A pointer handed to worker threads that only read through it.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

@inline(never)
func blackHole(_ value: Int) {
    if value == -12_345_678 { print(value) }
}
