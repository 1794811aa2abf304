// Validates bytes held in memory against a schema written in code, and prints Piing's report.
import Preflight

// A product feed: an id, a title of at most 20 characters, a positive price in cents, a date.
var price = Constraints()
price.exclusiveMinimum = "0"
var title = Constraints()
title.maxLength = 20
let products = Schema(name: "products", columns: [
    Column("sku", .string, required: true),
    Column("title", .string, required: true, constraints: title),
    Column("price_cents", .integer, required: true, constraints: price),
    Column("available_from", .date, required: false),
], idColumn: "sku")

let feed = """
    sku,title,price_cents,available_from
    A-1,Kettle,2999,2026-01-05
    A-2,A title that is far too long for the shop,1999,
    A-1,Toaster,0,2026-02-30

    """

var options = ValidationOptions()
options.maxErrors = 0  // list every error
let report = try Preflight.validate(bytes: Array(feed.utf8), name: "feed.csv", schema: products, options: options)
print(String(decoding: try ReportRenderer(style: .piing).render(report), as: UTF8.self), terminator: "")

// Switch on typed codes rather than strings.
for issue in report.errors {
    switch issue.kind {
    case .duplicateID?: print("row \(issue.row): the sku is used twice")
    case .invalidColumn?: print("row \(issue.row): \(issue.field ?? "?") is wrong: \(issue.error)")
    default: print("row \(issue.row): \(issue.code)")
    }
}
