// swift-tools-version:6.0
import PackageDescription

// preflight: checks upload files (CSV, JSON, NDJSON) against a platform's schema before upload.
// System libraries (Debian): libsimdjson-dev and libcsv-dev, reached through the two C shims below.
let package = Package(
    name: "preflight",
    products: [
        .library(name: "Preflight", targets: ["Preflight"]),
        .executable(name: "preflight", targets: ["preflight"]),
        .executable(name: "preflight-bench", targets: ["preflight-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML schema files (Table Schema and preflight's own format are often written in YAML).
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // Plain C API over simdjson's C++ On-Demand API. Links the system libsimdjson.
        .target(
            name: "CSimdJSON",
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
            path: "Sources/CGzip",
            linkerSettings: [.linkedLibrary("z")]
        ),
        // Plain C API over PCRE2 (JIT): the `pattern` constraint of schema files.
        .target(
            name: "CPattern",
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
