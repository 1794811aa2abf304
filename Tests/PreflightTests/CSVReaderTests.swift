import Foundation
import XCTest
@_spi(Tuning) @_spi(CommandLine) @testable import Preflight

/// What the CSV reader hands on for one record.
private struct ReadRecord: Equatable {
    let status: CSVRecord.Status
    let line: Int
    let fields: [String]
    let bytes: String
}

private func readRecords(_ data: [UInt8], recordCap: Int = 2_097_152, delimiter: UInt8 = UInt8(ascii: ","),
                         engine: CSVEngine = .prescan) throws -> (records: [ReadRecord], endings: LineEndings) {
    let reader = try CSVReader(delimiter: delimiter, recordCap: recordCap, engine: engine)
    var records: [ReadRecord] = []
    _ = try data.withUnsafeBytes { bytes in
        try reader.read(bytes, from: 0, to: bytes.count, dataEnd: bytes.count, isFinal: true, firstLine: 1) { record in
            let fields = (0..<record.fieldCount).map { String(decoding: record.field($0), as: UTF8.self) }
            let raw = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[record.start..<record.end]), as: UTF8.self)
            records.append(ReadRecord(status: record.status, line: record.line, fields: fields, bytes: raw))
            return true
        }
    }
    return (records, reader.lineEndings)
}

/// Reads with both engines and requires the same records.
private func readRecords(_ text: String, recordCap: Int = 2_097_152) throws -> [ReadRecord] {
    let prescan = try readRecords(Array(text.utf8), recordCap: recordCap, engine: .prescan).records
    let libcsv = try readRecords(Array(text.utf8), recordCap: recordCap, engine: .libcsv).records
    XCTAssertEqual(prescan, libcsv, "engines disagree on \(text.prefix(80).debugDescription)")
    return prescan
}

final class CSVReaderTests: XCTestCase {
    /// Every csv-spectrum file parses to the rows of its JSON twin.
    func testCSVSpectrum() throws {
        let directory = fixturesDirectory.appendingPathComponent("csv-spectrum")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("csvs").path)
            .filter { $0.hasSuffix(".csv") }.sorted()
        XCTAssertEqual(names.count, 12)
        for name in names {
            let csv = try Data(contentsOf: directory.appendingPathComponent("csvs/\(name)"))
            let jsonName = name.replacingOccurrences(of: ".csv", with: ".json")
            let parsed = try JSONSerialization.jsonObject(
                with: Data(contentsOf: directory.appendingPathComponent("json/\(jsonName)")))
            // One file (location_coordinates) holds its single row as an object, not an array.
            let expected = try (parsed as? [[String: String]]) ?? [XCTUnwrap(parsed as? [String: String], name)]
            let records = try readRecords(Array(csv)).records
            if name == "location_coordinates.csv" {
                // `37.8"N` puts a quote inside an unquoted field: SPEC §9 makes that malformed_quotes
                // (strict RFC 4180), where csv-spectrum expects lenient parsing.
                XCTAssertEqual(records.map(\.status), [.parsed, .malformedQuotes])
                XCTAssertEqual(records.map(\.line), [1, 2])
                continue
            }
            XCTAssertTrue(records.allSatisfy { $0.status == .parsed }, name)
            let header = records[0].fields
            let rows = records.dropFirst().map { record in
                Dictionary(uniqueKeysWithValues: zip(header, record.fields))
            }
            XCTAssertEqual(rows, expected, name)
        }
    }

    func testLinesAndRowsWithQuotedNewlinesAndBlankLines() throws {
        let records = try readRecords("a,b\n\n\"x\ny\",1\r\n\r\n2,\"p\r\nq\r\nr\"\nlast,z")
        XCTAssertEqual(records, [
            ReadRecord(status: .parsed, line: 1, fields: ["a", "b"], bytes: "a,b"),
            ReadRecord(status: .parsed, line: 3, fields: ["x\ny", "1"], bytes: "\"x\ny\",1"),
            ReadRecord(status: .parsed, line: 6, fields: ["2", "p\r\nq\r\nr"], bytes: "2,\"p\r\nq\r\nr\""),
            ReadRecord(status: .parsed, line: 9, fields: ["last", "z"], bytes: "last,z"),
        ])
    }

    /// Quoted records with nothing to unescape are split by the structural kernel (values between
    /// the quotes); escaped or stray quotes go to libcsv. Both give libcsv's fields, lines and bytes.
    func testQuotedRecordsSplitByTheKernelOrByLibcsv() throws {
        let text = "a,\"b,c\",d\n" +          // line 1: a quoted delimiter
            "\"x\ny\",2,\"\"\n" +             // lines 2-3: a quoted line feed, an empty quoted field
            "\"p\"\"q\",3,4\r\n" +           // line 4: an escaped quote (libcsv)
            "\"r\r\ns\",5,6\r\n" +           // lines 5-6: a quoted CRLF
            "12\" pizza,7,8\n" +              // line 7: a stray quote
            "\"t\" ,9,10\n" +                // line 8: text after the closing quote
            "u,\"v\",\"w\"\n"                 // line 9: quoted fields last on the line
        let records = try readRecords(text)
        XCTAssertEqual(records.map(\.status), [.parsed, .parsed, .parsed, .parsed, .malformedQuotes, .malformedQuotes, .parsed])
        XCTAssertEqual(records.map(\.line), [1, 2, 4, 5, 7, 8, 9])
        XCTAssertEqual(records[0].fields, ["a", "b,c", "d"])
        XCTAssertEqual(records[1].fields, ["x\ny", "2", ""])
        XCTAssertEqual(records[1].bytes, "\"x\ny\",2,\"\"")
        XCTAssertEqual(records[2].fields, ["p\"q", "3", "4"])
        XCTAssertEqual(records[3].fields, ["r\r\ns", "5", "6"])
        XCTAssertEqual(records[3].bytes, "\"r\r\ns\",5,6")
        XCTAssertEqual(records[6].fields, ["u", "v", "w"])
        let prescan = try readRecords(Array(text.utf8), engine: .prescan).endings
        let libcsv = try readRecords(Array(text.utf8), engine: .libcsv).endings
        XCTAssertEqual([prescan.lf, prescan.crlf], [libcsv.lf, libcsv.crlf])
        XCTAssertEqual(prescan.crlf, 2)
    }

    func testLineEndingsCountOnlyOutsideQuotes() throws {
        let (_, endings) = try readRecords(Array("a\r\n\"x\ny\"\n\n".utf8))
        XCTAssertEqual(endings.crlf, 1)
        XCTAssertEqual(endings.lf, 2)
    }

    func testSpacesAreKeptAndALineOfSpacesIsARecord() throws {
        let records = try readRecords("a,b\n x , y \n   \n")
        XCTAssertEqual(records.map(\.fields), [["a", "b"], [" x ", " y "], ["   "]])
    }

    func testLoneCRIsData() throws {
        let records = try readRecords("a,b\rc\n")
        XCTAssertEqual(records.map(\.fields), [["a", "b\rc"]])
    }

    func testMalformedQuotesResumeAtTheNextLine() throws {
        let records = try readRecords("h\n12\" pizza,x\nok\n\"a\"b\nok2\n\"multi\nline\"x,1\nfine\n")
        XCTAssertEqual(records.map(\.status), [.parsed, .malformedQuotes, .parsed, .malformedQuotes, .parsed,
                                               .malformedQuotes, .parsed])
        XCTAssertEqual(records.map(\.line), [1, 2, 3, 4, 5, 6, 8])
        XCTAssertEqual(records.last?.fields, ["fine"])
    }

    func testUnterminatedQuoteAtEndOfInput() throws {
        let records = try readRecords("h\nok\n\"open,\nmore\nstill")
        XCTAssertEqual(records.map(\.status), [.parsed, .parsed, .unterminatedQuote])
        XCTAssertEqual(records.last?.line, 3)
        XCTAssertEqual(records.last?.bytes, "\"open,\nmore\nstill")
    }

    func testRecordCapIsExactAndCountsQuotedLineBreaks() throws {
        // 10 bytes of record (terminator excluded) pass a cap of 10; 11 do not.
        var records = try readRecords("0123456789\nx\n", recordCap: 10)
        XCTAssertEqual(records.map(\.status), [.parsed, .parsed])
        records = try readRecords("0123456789A\nx\n", recordCap: 10)
        XCTAssertEqual(records.map(\.status), [.tooLarge, .parsed])
        XCTAssertEqual(records[1].line, 2)
        // A quoted line break counts: "ab\ncd" is 7 bytes, with CRLF 8.
        records = try readRecords("\"ab\ncd\"\nx\n", recordCap: 7)
        XCTAssertEqual(records.map(\.status), [.parsed, .parsed])
        records = try readRecords("\"ab\r\ncd\"\nx\n", recordCap: 7)
        XCTAssertEqual(records.map(\.status), [.tooLarge, .parsed])
        XCTAssertEqual(records[1].line, 3)
        // A too-large record that spans lines is skipped to its real end, by quote parity.
        records = try readRecords("\"aaaaaaaaaaaa\n\"\"b\"\"\nc\",1\nnext\n", recordCap: 10)
        XCTAssertEqual(records.map(\.status), [.tooLarge, .parsed])
        XCTAssertEqual(records[1].line, 4)
        XCTAssertEqual(records[1].fields, ["next"])
    }

    func testTooLargeBeatsUnterminated() throws {
        let records = try readRecords("h\n\"" + String(repeating: "x", count: 50), recordCap: 20)
        XCTAssertEqual(records.map(\.status), [.parsed, .tooLarge])
    }

    func testTwoMegabyteLineAtTheCap() throws {
        let field = String(repeating: "v", count: 2_097_152)
        var records = try readRecords("h\n" + field + "\nok\n")
        XCTAssertEqual(records.map(\.status), [.parsed, .parsed, .parsed])
        XCTAssertEqual(records[1].fields.first?.count, 2_097_152)
        records = try readRecords("h\n" + field + "v\nok\n")
        XCTAssertEqual(records.map(\.status), [.parsed, .tooLarge, .parsed])
    }

    /// More fields than the reader's first buffer holds (it grows while splitting a record).
    func testWideRecords() throws {
        let names = (0..<300).map { "c\($0)" }
        let quoted = (0..<300).map { "\"v\($0)\"" }
        let records = try readRecords(names.joined(separator: ",") + "\n" + quoted.joined(separator: ",") + "\n")
        XCTAssertEqual(records.map(\.fields), [names, (0..<300).map { "v\($0)" }])
    }

    func testOtherDelimiters() throws {
        let (records, _) = try readRecords(Array("a;b\n1;\"2;3\"\n".utf8), delimiter: UInt8(ascii: ";"))
        XCTAssertEqual(records.map(\.fields), [["a", "b"], ["1", "2;3"]])
        let (tabbed, _) = try readRecords(Array("a\tb\n1\t 2\n".utf8), delimiter: 0x09)
        XCTAssertEqual(tabbed.map(\.fields), [["a", "b"], ["1", " 2"]])
    }
}
