"""Test files for the Spark job: rows whose quoted fields hold line breaks (LF and CRLF) of every
length, so that byte ranges of any size begin inside quotes, some of them lines that read like
records (a range cut there starts at the wrong row and is read again); ids repeated near and far
(across ranges); bad values; a BOM; blank lines. CSV and NDJSON, seeded."""
import random
import sys


def csv_rows(rows, seed):
    rnd = random.Random(seed)
    out = ["\ufefftransaction_id,amount,date,store_id,payment_method\n"]
    for row in range(rows):
        ident = "TXN%d" % (rnd.randrange(row + 1) if rnd.randrange(9) == 0 else row)
        amount = "abc" if rnd.randrange(20) == 0 else "%d.%02d" % (rnd.randrange(1, 500), rnd.randrange(100))
        date = "2026-02-30" if rnd.randrange(25) == 0 else "2026-%02d-%02d" % (rnd.randrange(1, 13), rnd.randrange(1, 29))
        lines = rnd.randrange(0, 12)
        breaks = [("\r\n" if rnd.randrange(3) == 0 else "\n") for _ in range(lines)]
        note = '"card ' + "".join("line %d, ""quoted""%s" % (i, b) for i, b in enumerate(breaks)) + 'end"'
        if rnd.randrange(25) == 0:
            # Lines inside the quotes that read like records: a range cut inside them is misjudged.
            note = '"pasted:\n' + "".join("TXN%d,1.00,2026-01-01,STORE-1,cash\n" % rnd.randrange(10 ** 6)
                                            for _ in range(rnd.randrange(10, 30))) + 'end"'
        end = "\r\n" if rnd.randrange(4) == 0 else "\n"
        out.append("%s,%s,%s,STORE-%d,%s%s" % (ident, amount, date, rnd.randrange(9), note, end))
        if rnd.randrange(40) == 0:
            out.append("\n")
    return "".join(out)


def ndjson_rows(rows, seed):
    rnd = random.Random(seed)
    out = []
    for row in range(rows):
        ident = "TXN%d" % (rnd.randrange(row + 1) if rnd.randrange(9) == 0 else row)
        kind = rnd.randrange(15)
        if kind == 0:
            out.append("\n")
        elif kind == 1:
            out.append('{"transaction_id": "%s", "amount": 1.5\n' % ident)
        else:
            amount = '"abc"' if kind == 2 else "%d.%02d" % (rnd.randrange(1, 500), rnd.randrange(100))
            note = "x" * rnd.randrange(0, 400)
            end = "\r\n" if rnd.randrange(4) == 0 else "\n"
            out.append('{"transaction_id": "%s", "amount": %s, "date": "2026-01-0%d", "store_id": "S%d", '
                       '"payment_method": "card\\n%s"}%s' % (ident, amount, rnd.randrange(1, 10), row % 7, note, end))
    return "".join(out)


if __name__ == "__main__":
    folder, rows = sys.argv[1], int(sys.argv[2])
    with open(folder + "/orders.csv", "w", newline="", encoding="utf-8") as f:
        f.write(csv_rows(rows, 1))
    with open(folder + "/orders.ndjson", "w", newline="", encoding="utf-8") as f:
        f.write(ndjson_rows(rows, 2))
