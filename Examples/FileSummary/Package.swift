// swift-tools-version:6.0
import PackageDescription

// An example of embedding preflight (see the DocC article "Getting Started").
let package = Package(
    name: "FileSummary",
    platforms: [.macOS(.v15)],
    dependencies: [
        // In your own package: .package(url: "https://github.com/…/preflight", from: "1.0.0")
        .package(name: "preflight", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "FileSummary", dependencies: [.product(name: "Preflight", package: "preflight")]),
    ]
)
