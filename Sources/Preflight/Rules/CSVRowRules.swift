extension RowChecker {
    /// Every rule for one CSV record. Whole-row errors first, strongest first: too large, quote
    /// errors, invalid UTF-8, a field count unlike the header's; such a row carries that error
    /// only. Otherwise its fields are checked (a control character first, then missing, then the type).
    /// `knownUTF8`: the caller has checked the record's bytes already.
    mutating func checkCSVRecord(_ record: CSVRecord, row: Int, in bytes: UnsafeRawBufferPointer, knownUTF8: Bool,
                                 into result: inout ChunkResult) {
        switch record.status {
        case .tooLarge: rejectRow(.recordTooLarge, row: row, line: record.line, into: &result.log)
        case .malformedQuotes: rejectRow(.malformedQuotes, row: row, line: record.line, into: &result.log)
        case .unterminatedQuote: rejectRow(.unterminatedQuote, row: row, line: record.line, into: &result.log)
        case .parsed:
            if !knownUTF8, record.mayHoldNonASCII, !Bytes.isValidUTF8(bytes, from: record.start, to: record.end) {
                rejectRow(.invalidUTF8, row: row, line: record.line, into: &result.log)
            } else if record.fieldCount != headerFieldCount {
                rejectRow(.fieldCountMismatch(expected: headerFieldCount, found: record.fieldCount), row: row,
                          line: record.line, into: &result.log)
            } else {
                // Most records hold no byte below 0x20 at all: then no field needs a closer look.
                let checkControl = record.mayHoldControl && Bytes.hasByteBelowSpace(bytes, from: record.start, to: record.end)
                if !checkControl, passesCSV(record, row: row, line: record.line, ids: &result.ids) { return }
                checkCSV(record, row: row, line: record.line, checkControl: checkControl, into: &result.log,
                         ids: &result.ids)
            }
        }
    }
}
