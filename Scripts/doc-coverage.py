#!/usr/bin/env python3
"""Lists the public symbols of the Preflight library that have no documentation comment.

Reads the coverage file `swift package generate-documentation --target Preflight
--experimental-documentation-coverage` writes, and exits 1 when any symbol lacks an abstract
(inherited protocol members, such as Equatable's ==, are not counted: DocC marks them).
"""
import json
import sys

path = sys.argv[1] if len(sys.argv) > 1 else ".build/plugins/Swift-DocC/outputs/Preflight.doccarchive/documentation-coverage.json"
entries = json.load(open(path))
# Members a conformance gives (Equatable, Hashable, RawRepresentable, Codable, Error, CaseIterable):
# documented by the protocol they come from.
inherited = ("/hashValue", "/hash(into:)", "/init(rawValue:)", "/rawValue", "/==(_:_:)", "/!=(_:_:)",
             "/allCases", "/AllCases", "/RawValue", "/init(from:)", "/encode(to:)", "/localizedDescription")
missing = []
for entry in entries:
    if not entry["kind"].get("isSymbol"):
        continue
    last = "/" + entry["referencePath"].rsplit("/", 1)[-1]
    if any(last == name or last.startswith(name + "-") for name in inherited):
        continue
    if not entry["hasAbstract"]:
        missing.append(entry["referencePath"].replace("doc://Preflight/documentation/Preflight/", ""))
for name in sorted(missing):
    print("undocumented:", name)
print(f"{len(entries) - len(missing)} of {len(entries)} symbols documented")
sys.exit(1 if missing else 0)
