import CScan
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight
import XCTest

/// The CSV structural kernel: every SIMD kernel the processor runs gives exactly the portable
/// kernel's entries, and the portable kernel gives what a byte-by-byte reading of the rules gives.
final class CSVScanKernelTests: XCTestCase {
    /// What `pfscan_csv` must return, worked out one byte at a time (quotes toggle; separators and
    /// record ends count only outside quotes; entries of complete records only; a block of 64
    /// bytes is scanned only while 65 entries still fit).
    private func reference(_ bytes: [UInt8], delimiter: UInt8, capacity: Int) -> (entries: [UInt32], scanned: Int) {
        var entries: [UInt32] = []
        var committed = 0, committedEnd = 0
        var inside = false
        var flags: UInt32 = 0
        var offset = 0
        while offset < bytes.count {
            if capacity - entries.count < 65 { break }
            for index in offset..<min(offset + 64, bytes.count) {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { flags |= UInt32(PFSCAN_HAS_QUOTE) }
                let terminatorCR = byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A
                if byte < 0x20, byte != 0x09, byte != 0x0A, !terminatorCR { flags |= UInt32(PFSCAN_HAS_CONTROL) }
                if byte >= 0x80 { flags |= UInt32(PFSCAN_HAS_NON_ASCII) }
                if byte == UInt8(ascii: "\"") { inside.toggle() }
                guard !inside else { continue }
                if byte == 0x0A {
                    entries.append(UInt32(index) | UInt32(PFSCAN_RECORD_END) | flags)
                    flags = 0
                    committed = entries.count
                    committedEnd = index + 1
                } else if byte == delimiter {
                    entries.append(UInt32(index))
                }
            }
            offset += 64
        }
        return (Array(entries.prefix(committed)), committedEnd)
    }

    private func scan(_ bytes: [UInt8], kernel: Int32, delimiter: UInt8, capacity: Int) -> (entries: [UInt32], scanned: Int) {
        var entries = [UInt32](repeating: 0xFFFF_FFFF, count: capacity)
        var scanned = -1
        let count = bytes.withUnsafeBufferPointer { input in
            entries.withUnsafeMutableBufferPointer { output in
                pfscan_csv(kernel, input.baseAddress, input.count, delimiter, output.baseAddress, capacity, &scanned)
            }
        }
        return (Array(entries.prefix(count)), scanned)
    }

    private var kernels: [Int32] {
        (0..<Int32(PFSCAN_KERNEL_COUNT)).filter { pfscan_kernel_available($0) != 0 }
    }

    func testTheProcessorRunsASIMDKernel() {
        XCTAssertEqual(pfscan_kernel_available(Int32(PFSCAN_KERNEL_PORTABLE)), 1)
        #if arch(x86_64)
        // Every x86-64 machine this project runs on has SSE4.2 and PCLMULQDQ.
        XCTAssertTrue(kernels.contains(Int32(PFSCAN_KERNEL_SSE42)), "kernels: \(kernels)")
        XCTAssertNotEqual(pfscan_best_kernel(), Int32(PFSCAN_KERNEL_PORTABLE))
        #endif
        print("CSV scan kernels here: \(kernels.map { String(cString: pfscan_kernel_name($0)) }), best \(String(cString: pfscan_kernel_name(pfscan_best_kernel())))")
    }

    func testAKnownInput() {
        let text = "a,b\r\n\"x,\ny\",2\n\u{1}\tc,é\n,\"\"\nlast,no end"
        let result = scan(Array(text.utf8), kernel: pfscan_best_kernel(), delimiter: UInt8(ascii: ","), capacity: 128)
        let end = UInt32(PFSCAN_RECORD_END)
        XCTAssertEqual(result.entries, [1, 4 | end,
                                        11, 13 | end | UInt32(PFSCAN_HAS_QUOTE),
                                        17, 20 | end | UInt32(PFSCAN_HAS_CONTROL) | UInt32(PFSCAN_HAS_NON_ASCII),
                                        21, 24 | end | UInt32(PFSCAN_HAS_QUOTE)])
        XCTAssertEqual(result.scanned, 25, "the last line has no line feed: no entry")
    }

    func testRefusals() {
        var entries = [UInt32](repeating: 0, count: 128)
        var scanned = 7
        XCTAssertEqual(pfscan_csv(0, nil, 10, 44, &entries, 128, &scanned), 0)
        XCTAssertEqual(scanned, 0)
        let bytes: [UInt8] = Array("a\n".utf8)
        XCTAssertEqual(pfscan_csv(0, bytes, 2, 44, &entries, 127, &scanned), 0, "capacity below 128")
        XCTAssertEqual(pfscan_csv(99, bytes, 2, 44, &entries, 128, &scanned), 0, "no such kernel")
        XCTAssertEqual(pfscan_csv(0, bytes, 2, 44, &entries, 128, nil), 0)
    }

    func testEveryKernelAgreesWithTheReferenceOnRandomInputs() {
        // Bytes that matter (quotes, delimiters, LF, CR, tab, control, UTF-8) among plain ones.
        let alphabet: [UInt8] = [0x61, 0x62, 0x2C, 0x2C, 0x22, 0x22, 0x0A, 0x0A, 0x0D, 0x09, 0x01, 0x1F, 0x20, 0x3B,
                                 0xC3, 0xA9, 0x7F, 0x80, 0xFF, 0x00]
        var generator = SplitTests.Random(state: 42)
        for round in 0..<3000 {
            let length = Int(generator.next() % 700)
            let dense = generator.next() % 3 == 0  // mostly separators, to hit the capacity limit
            let bytes = (0..<length).map { _ in
                dense ? [0x2C, 0x0A, 0x22, 0x61][Int(generator.next() % 4)] : alphabet[Int(generator.next() % UInt64(alphabet.count))]
            }
            let delimiter: UInt8 = [0x2C, 0x3B, 0x09][round % 3]
            let capacity = [128, 200, 4096][Int(generator.next() % 3)]
            let expected = reference(bytes, delimiter: delimiter, capacity: capacity)
            for kernel in kernels {
                let got = scan(bytes, kernel: kernel, delimiter: delimiter, capacity: capacity)
                if got.entries != expected.entries || got.scanned != expected.scanned {
                    XCTFail("kernel \(String(cString: pfscan_kernel_name(kernel))), round \(round), bytes \(bytes)")
                    return
                }
            }
        }
    }

    func testLongQuotedFieldsAcrossManyBlocks() {
        // A quoted field 10 KB long with delimiters and line feeds inside, then a plain record.
        let field = String(repeating: "x,\ny", count: 2000)
        let bytes = Array(("id,\"" + field + "\"\n1,2\n").utf8)
        for kernel in kernels {
            let got = scan(bytes, kernel: kernel, delimiter: UInt8(ascii: ","), capacity: 128)
            XCTAssertEqual(got.entries.map { $0 & UInt32(PFSCAN_OFFSET_MASK) },
                           [2, UInt32(bytes.count - 5), UInt32(bytes.count - 3), UInt32(bytes.count - 1)])
            XCTAssertEqual(got.scanned, bytes.count)
        }
    }
}


/// The end of a JSON value (the JSON array scan's inner loop): every kernel gives exactly what the
/// Swift ValueSkipper gives, line count included.
final class JSONValueEndTests: XCTestCase {
    private func skipper(_ bytes: [UInt8]) -> (end: Int, lines: Int) {
        var skipper = JSONArrayScanner.ValueSkipper()
        var lines = 0
        let end = bytes.withUnsafeBytes { skipper.advance($0.baseAddress!, from: 0, to: bytes.count, lines: &lines) }
        return end.map { ($0, lines) } ?? (0, 0)
    }

    private func kernel(_ bytes: [UInt8], _ kernel: Int32) -> (end: Int, lines: Int) {
        var lines = 0
        let end = bytes.withUnsafeBufferPointer { pfscan_json_value_end(kernel, $0.baseAddress, $0.count, &lines) }
        return (end, lines)
    }

    func testKnownValues() {
        for (text, end, lines) in [("{\"a\":[1,{\"b\":\"}\"}]}, 5", 19, 0), ("[\n\"x\\\"]\",\n[]\n] ,", 14, 3),
                                   ("\"a\\\\\" , 1", 5, 0), ("{\"open\": [1, 2", 0, 0), ("\"no end", 0, 0)] {
            let bytes = Array(text.utf8)
            XCTAssertEqual(skipper(bytes).end, end, text)
            for k in [Int32(PFSCAN_KERNEL_PORTABLE), Int32(PFSCAN_KERNEL_AVX2)] {
                XCTAssertEqual(kernel(bytes, k).end, end, text)
                XCTAssertEqual(kernel(bytes, k).lines, lines, text)
            }
        }
        var lines = 7
        XCTAssertEqual(pfscan_json_value_end(0, nil, 3, &lines), 0)
        XCTAssertEqual(lines, 0)
        XCTAssertEqual(pfscan_json_value_end(0, Array("1, 2".utf8), 4, &lines), 0, "a scalar is not for the kernel")
    }

    func testEveryKernelAgreesWithTheSkipperOnRandomValues() {
        let alphabet: [UInt8] = Array("{}[]\"\"\\\n a,:1".utf8) + [0x00, 0xC3]
        var generator = SplitTests.Random(state: 7)
        for round in 0..<20_000 {
            let length = 1 + Int(generator.next() % 400)
            var bytes = [Array("{[\"".utf8)[Int(generator.next() % 3)]]
            let sparse = generator.next() % 2 == 0  // long plain runs, so whole blocks go through the masks
            for _ in 1..<length {
                let plain = sparse && generator.next() % 8 != 0
                bytes.append(plain ? 0x61 : alphabet[Int(generator.next() % UInt64(alphabet.count))])
            }
            let expected = skipper(bytes)
            for k in [Int32(PFSCAN_KERNEL_PORTABLE), Int32(PFSCAN_KERNEL_SSE42), Int32(PFSCAN_KERNEL_AVX2)] {
                let got = kernel(bytes, k)
                if got.end != expected.end || got.lines != expected.lines {
                    XCTFail("kernel \(k), round \(round): \(got) != \(expected) for \(String(decoding: bytes, as: UTF8.self).debugDescription)")
                    return
                }
            }
        }
    }
}
