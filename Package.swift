// swift-tools-version:6.0
import PackageDescription

// preflight: checks upload files (CSV, JSON, NDJSON) against a platform's schema before upload.
// System libraries (Debian): libsimdjson-dev and libcsv-dev, reached through the two C shims below.
let package = Package(
    name: "preflight",
    // Synchronization's Mutex and Atomic; Linux is the platform it is built and tested on.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Preflight", targets: ["Preflight"]),
        .executable(name: "preflight", targets: ["preflight"]),
        .executable(name: "preflight-bench", targets: ["preflight-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML schema files (Table Schema and preflight's own format are often written in YAML).
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // `swift package generate-documentation --target Preflight` (the DocC catalog).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The system libraries, found through pkg-config where they ship a .pc file (their
        // include and library paths, wherever the system put them), with the packages that
        // provide them (named in SwiftPM's message when one is missing). Only the C shims below
        // use them; each shim also names its library to link, since a module map's `link` reaches
        // only Swift importers.
        .systemLibrary(
            name: "SystemSimdJSON", path: "Sources/SystemLibraries/SystemSimdJSON", pkgConfig: "simdjson",
            providers: [.apt(["libsimdjson-dev"]), .brew(["simdjson"])]),
        // libcsv ships no pkg-config file; Debian's is found on the default paths.
        .systemLibrary(
            name: "SystemLibCSV", path: "Sources/SystemLibraries/SystemLibCSV",
            providers: [.apt(["libcsv-dev"])]),
        .systemLibrary(
            name: "SystemZlib", path: "Sources/SystemLibraries/SystemZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "SystemPCRE2", path: "Sources/SystemLibraries/SystemPCRE2", pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"]), .brew(["pcre2"])]),
        // Plain C API over simdjson's C++ On-Demand API.
        .target(
            name: "CSimdJSON",
            dependencies: ["SystemSimdJSON"],
            path: "CSimdJSON",
            cxxSettings: [
                // Same as simdjson's pkg-config Cflags, so our structs match the library's.
                .define("SIMDJSON_THREADS_ENABLED", to: "1"),
            ],
            linkerSettings: [.linkedLibrary("simdjson")]
        ),
        // Plain C API over libcsv: records in, field spans out; Swift never sees libcsv callbacks.
        .target(
            name: "CLibCSV",
            dependencies: ["SystemLibCSV"],
            path: "Sources/CLibCSV",
            linkerSettings: [.linkedLibrary("csv")]
        ),
        // The CSV structural kernel: quote, delimiter and line-feed positions per 64-byte block,
        // SIMD kernels chosen at run time (no -march flag), a portable one everywhere.
        .target(
            name: "CScan",
            path: "Sources/CScan",
            exclude: ["scan_body.h", "json_body.h", "simd.h"]
        ),
        // Plain C API over zlib's inflate: .gz input read as a stream.
        .target(
            name: "CGzip",
            dependencies: ["SystemZlib"],
            path: "Sources/CGzip",
            linkerSettings: [.linkedLibrary("z")]
        ),
        // Plain C API over PCRE2 (JIT): the `pattern` constraint of schema files.
        .target(
            name: "CPattern",
            dependencies: ["SystemPCRE2"],
            path: "Sources/CPattern",
            linkerSettings: [.linkedLibrary("pcre2-8")]
        ),
        .target(
            name: "Preflight",
            dependencies: ["CSimdJSON", "CLibCSV", "CGzip", "CScan", "CPattern", .product(name: "Yams", package: "Yams")],
            path: "Sources/Preflight"
        ),
        .executableTarget(
            name: "preflight",
            dependencies: [
                "Preflight",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/preflight"
        ),
        // The floors the benchmark measures: libcsv and simdjson alone. Benchmark only.
        .target(
            name: "CBenchFloors",
            dependencies: ["SystemSimdJSON", "SystemLibCSV"],
            path: "Benchmarks/CBenchFloors",
            cxxSettings: [.define("SIMDJSON_THREADS_ENABLED", to: "1")],
            linkerSettings: [.linkedLibrary("simdjson"), .linkedLibrary("csv")]
        ),
        // Synthetic data with known truth, validated at several thread counts beside the floors.
        .executableTarget(
            name: "preflight-bench",
            dependencies: [
                "Preflight", "CSimdJSON", "CBenchFloors", "CScan", "CPattern",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/PreflightBench"
        ),
        // Fuzz targets (Scripts/fuzz.sh); a replay tool for saved inputs when built normally.
        .executableTarget(
            name: "preflight-fuzz",
            dependencies: ["Preflight", "CScan"],
            path: "Fuzz/PreflightFuzz"
        ),
        .testTarget(
            name: "PreflightTests",
            dependencies: ["Preflight", "preflight", "CScan"],
            path: "Tests/PreflightTests"
        ),
    ],
    cxxLanguageStandard: .cxx17
)
