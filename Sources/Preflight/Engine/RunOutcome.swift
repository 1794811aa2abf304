/// A run's final numbers, whatever the format.
struct RunOutcome {
    var merger: ChunkMerger
    var notices: [Notice] = []
    /// False when a monitor stopped the run: the counts are those of the rows read until then.
    var isComplete = true

    init(options: ValidationOptions, firstDataRow: Int, delivery: RowDelivery?) {
        merger = ChunkMerger(log: IssueLog(maxErrors: options.maxErrors), firstDataRow: firstDataRow, firstLine: 1,
                             maxRows: options.maxRows, idField: options.schema.idColumns.first?.name ?? "",
                             uniqueFields: options.schema.columns.enumerated()
                                .filter { $0.element.constraints.unique && $0.offset != options.schema.idColumnIndex }
                                .map(\.element.name),
                             idShards: min(options.effectiveThreads, Parallel.coreCount),
                             idBudget: options.idMemoryBudget, temporaryDirectory: options.temporaryDirectory)
        merger.delivery = delivery
    }

    /// An error found outside the data rows (header, row 0): counted, listed, and delivered.
    mutating func addFileIssue(_ kind: IssueKind, row: Int, line: Int) throws(PreflightError) {
        let issue = merger.log.addReturningIssue(kind, row: row, line: line)
        try merger.delivery?.fileIssue(issue)
    }

    /// Adds the file-level errors only known at the end (size, emptiness) in front, as row 0.
    mutating func finish(sizeBytes: Int, isEmpty: Bool, options: ValidationOptions) throws(PreflightError) {
        // Ids past the memory budget get their answers now, before anything is put in front.
        try merger.settleDeferredIDs()
        var front = IssueLog(maxErrors: options.maxErrors)
        var frontIssues: [IssueKind] = []
        if options.maxFileSize > 0, sizeBytes > options.maxFileSize {
            frontIssues.append(.fileTooLarge(limit: options.maxFileSize))
        }
        if isEmpty {
            // Nothing but whitespace: that is the one thing to say (rows and notices go).
            frontIssues.append(.emptyPayload)
            try merger.delivery?.discardRows()
        }
        for kind in frontIssues {
            let issue = front.addReturningIssue(kind, row: 0, line: 0)
            try merger.delivery?.fileIssue(issue)
        }
        if isEmpty {
            notices.removeAll { $0.code != IssueCode.bomPresent.rawValue }
            merger = ChunkMerger(log: front, firstDataRow: 1, firstLine: 1, maxRows: 0, idField: "")
            return
        }
        front.addCounts(of: merger.log)
        for issue in merger.log.listed { front.list(issue) }
        merger.log = front
        notices.append(contentsOf: merger.unknownColumns.notices)
        if merger.lineEndings.areMixed {
            notices.append(Notice(
                code: IssueCode.mixedLineEndings.rawValue,
                message: "File mixes CRLF (\(merger.lineEndings.crlf)) and LF (\(merger.lineEndings.lf)) line endings",
                row: nil))
        }
    }

    func report(name: String, sizeBytes: Int, options: ValidationOptions) -> ValidationReport {
        let log = merger.log
        return ValidationReport(
            file: .init(name: name, format: options.inputFormat, sizeBytes: sizeBytes, schemaType: options.schema.name),
            totalRows: merger.dataRows, validatedRows: merger.dataRows, invalidRows: log.invalidRows,
            errors: log.listed, errorCounts: log.countsByCode, totalErrors: log.totalErrors,
            fileLevelErrors: log.fileLevelErrors, notices: notices, isComplete: isComplete)
    }
}

let bomNotice = Notice(code: IssueCode.bomPresent.rawValue, message: "File starts with a UTF-8 byte order mark; remove it before upload",
                       row: nil)
