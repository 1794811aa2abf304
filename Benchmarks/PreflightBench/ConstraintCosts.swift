import Foundation
@_spi(Tuning) import Preflight

/// `--constraint-costs`: the generated CSV validated against generic_transactions and against the
/// same schema with one constraint more per run (then all of them), 1 thread, best of five, so
/// each constraint's cost per row shows beside the built-in schema. The constraints are chosen so
/// that nearly every value passes: what is timed is the check, not the reporting of errors.
enum ConstraintCosts {
    static let variants: [(name: String, column: String, edit: @Sendable (inout Constraints) -> Void)] = [
        ("enum (3 values)", "payment_method", { $0.enumValues = ["card", "cash", "voucher"] }),
        ("pattern", "transaction_id", { $0.pattern = "TXN[0-9]+" }),
        ("minLength + maxLength", "store_id", { $0.minLength = 5; $0.maxLength = 12 }),
        ("minimum + maximum", "tax", { $0.minimum = "0"; $0.maximum = "1000000" }),
        ("multipleOf", "discount", { $0.multipleOf = "0.01" }),
        ("unique", "customer_id", { $0.unique = true }),
    ]

    static func schema(with edits: [(column: String, edit: @Sendable (inout Constraints) -> Void)]) -> Schema {
        let base = Schema.genericTransactions
        let columns = base.columns.map { column in
            var constraints = column.constraints
            for edit in edits where edit.column == column.name { edit.edit(&constraints) }
            return Column(column.name, column.type, required: column.required, format: column.format, constraints: constraints)
        }
        return Schema(name: "constrained", columns: columns, idColumn: base.idColumn?.name)
    }

    static func run(path: String, bytes: Int) throws -> String {
        var runs: [(String, Schema)] = [("generic_transactions (built-in)", .genericTransactions)]
        for variant in variants {
            runs.append(("+ \(variant.name) on \(variant.column)", schema(with: [(variant.column, variant.edit)])))
        }
        runs.append(("+ all of them", schema(with: variants.map { ($0.column, $0.edit) })))
        var best = Array(repeating: Double.infinity, count: runs.count)
        var rows = 0
        for _ in 0..<5 {
            // Interleaved, so that the machine's noise falls on every run alike.
            for (index, run) in runs.enumerated() {
                var options = ValidationOptions(schema: run.1, format: .csv)
                options.threads = 1
                options.maxFileSize = 0
                options.maxRows = 0
                options.mapsFiles = true
                Floors.warm(path: path)
                let start = DispatchTime.now().uptimeNanoseconds
                let report = try Validator.validate(path: path, options: options)
                best[index] = min(best[index], Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                rows = report.totalRows
            }
        }
        var lines = ["| schema | MB/s (1 thread) | ns per row | cost over the built-in, ns per row |", "|---|---|---|---|"]
        for (index, run) in runs.enumerated() {
            let perRow = best[index] * 1e9 / Double(rows)
            let extra = (best[index] - best[0]) * 1e9 / Double(rows)
            lines.append("| \(run.0) | \(String(format: "%.0f", Double(bytes) / 1e6 / best[index])) | "
                         + "\(String(format: "%.0f", perRow)) | \(index == 0 ? "" : String(format: "%+.0f", extra)) |")
        }
        return lines.joined(separator: "\n")
    }
}
