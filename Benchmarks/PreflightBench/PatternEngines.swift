import CPattern
import Foundation

/// `--pattern-engines`: the cost per value of the candidates for the `pattern` constraint, on
/// the same values: PCRE2 (JIT), which the checks use, and Swift's `Regex`, which would need a
/// `String` per value (values are bytes). Best of three, values already in memory.
enum PatternEngines {
    struct Case {
        let name: String
        let pattern: String
    }

    static let cases = [
        Case(name: "code", pattern: #"[A-Z]{3}-\d{3,6}"#),
        Case(name: "email", pattern: #"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}"#),
        Case(name: "alternation", pattern: #"(card|cash|voucher|transfer)(-[0-9]+)?"#),
    ]

    /// Values of about 10–30 bytes, half of them matching each case's pattern.
    static func values(count: Int) -> [[UInt8]] {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return (0..<count).map { index in
            let text: String
            switch index % 6 {
            case 0: text = String((0..<3).map { _ in letters.randomElement(using: &generator)! }) + "-\(Int.random(in: 100...999_999, using: &generator))"
            case 1: text = "abc-\(index)"
            case 2: text = "user\(index)@example.com"
            case 3: text = "user \(index)@example"
            case 4: text = ["card", "cash", "voucher", "transfer"][index % 4] + "-\(index % 1000)"
            default: text = "cheque-\(index)"
            }
            return Array(text.utf8)
        }
    }

    static func run(count: Int) -> String {
        let values = values(count: count)
        var lines = ["| pattern | values | PCRE2 JIT ns/value | Swift Regex ns/value | Swift Regex ÷ PCRE2 | matches (equal in both) |",
                     "|---|---|---|---|---|---|"]
        for test in cases {
            var message = [CChar](repeating: 0, count: 256)
            var offset = 0
            var bytes = Array(test.pattern.utf8)
            let compiled = bytes.withUnsafeMutableBytes { pattern in
                message.withUnsafeMutableBufferPointer {
                    pfre_compile(pattern.baseAddress?.assumingMemoryBound(to: CChar.self), pattern.count, 1, $0.baseAddress,
                                 $0.count, &offset)
                }
            }
            guard let compiled else { return "pattern \(test.pattern) does not compile" }
            defer { pfre_free(compiled) }
            var pcreMatches = 0
            let pcre = best { () -> Int in
                var found = 0
                for value in values {
                    value.withUnsafeBytes { if pfre_match(compiled, $0.baseAddress, $0.count) == 1 { found += 1 } }
                }
                pcreMatches = found
                return found
            }
            guard let regex = try? Regex(test.pattern) else { return "Swift Regex refuses \(test.pattern)" }
            var swiftMatches = 0
            let swift = best { () -> Int in
                var found = 0
                for value in values where String(decoding: value, as: UTF8.self).wholeMatch(of: regex) != nil { found += 1 }
                swiftMatches = found
                return found
            }
            let perValue = { (seconds: Double) in seconds * 1e9 / Double(values.count) }
            lines.append("| `\(test.pattern)` | \(values.count) | \(String(format: "%.0f", perValue(pcre))) | "
                         + "\(String(format: "%.0f", perValue(swift))) | \(String(format: "%.0f", swift / pcre))× | "
                         + "\(pcreMatches)\(pcreMatches == swiftMatches ? "" : " (Swift Regex: \(swiftMatches))") |")
        }
        return lines.joined(separator: "\n")
    }

    /// The best of three timings of `body`, in seconds.
    private static func best(_ body: () -> Int) -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }
}
