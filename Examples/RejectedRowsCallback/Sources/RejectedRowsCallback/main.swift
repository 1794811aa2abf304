// Streams each rejected row to a callback as the file is validated: its number, the line where it
// starts, its errors and its bytes as they came in (ready to write to a quarantine file or a queue).
// Usage: RejectedRowsCallback FILE
import Preflight

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

guard CommandLine.arguments.count == 2 else {
    print("usage: RejectedRowsCallback FILE")
    exit(64)
}
var rejected = 0
let observer = RejectedRows(onDiscard: { print("(the rows above do not stand: the input is not valid JSON)") }) { row in
    rejected += 1
    let text = String(decoding: row.bytes, as: UTF8.self).trimmingSuffix("\n")
    print("row \(row.row) (line \(row.line)): \(row.issues.map(\.code).joined(separator: ", "))  \(text)")
}
let report = try Preflight.validate(file: CommandLine.arguments[1], schema: .genericTransactions, observers: [observer])
print("\(rejected) of \(report.totalRows) rows rejected; the report counts \(report.invalidRows)")

extension String {
    func trimmingSuffix(_ suffix: Character) -> Substring {
        var text = Substring(self)
        while text.last == suffix || text.last == "\r" { text = text.dropLast() }
        return text
    }
}
