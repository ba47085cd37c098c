// swift-tools-version:6.0
//
// FreeportKit: the generated Swift bindings of the Rust core plus the app's view models.
//
// Before building, generate the bindings: `scripts/gen-bindings.sh --swift-only` writes
//   Sources/FreeportCore/FreeportCore.swift and Sources/FreeportCoreFFI/include/ (not committed).
// On Linux, `scripts/test-swift.sh` builds, generates and runs `swift test` in a Debian chroot,
// passing the directory of libfreeport_core.so with `-Xlinker -L<dir>`.
import PackageDescription

// Language modes: the view models and the Keychain store are Swift 6 (strict concurrency is a
// compile error, checked on Linux by scripts/test-swift.sh); the generated bindings and the
// XCTest targets stay in Swift 5 mode (generated code is not ours to annotate, and Linux XCTest
// needs @MainActor test methods that Swift 6 mode would reject on a non-isolated XCTestCase).
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

// The core's C FFI. On Linux: the generated header + module map (system library; the .so is
// passed with -Xlinker -L). On a Mac: the XCFramework scripts/build-ios.sh builds (iOS device,
// iOS simulator, macOS slices of the static library, each with the header and module map).
#if os(Linux)
let ffiTarget: Target = .systemLibrary(name: "FreeportCoreFFI", path: "Sources/FreeportCoreFFI/include")
#else
let ffiTarget: Target = .binaryTarget(name: "FreeportCoreFFI", path: "Artifacts/FreeportCoreFFI.xcframework")
#endif

let package = Package(
    name: "FreeportKit",
    platforms: [.iOS(.v17), .macOS(.v14)],
    products: [
        .library(name: "FreeportKit", targets: ["FreeportCore", "FreeportViewModels", "KeychainSecretStore"]),
    ],
    targets: [
        // C declarations of the core's FFI (generated header + module map). A system-library
        // target needs no placeholder source file; the library itself is linked by FreeportCore.
        ffiTarget,
        // The generated Swift bindings.
        .target(
            name: "FreeportCore",
            dependencies: ["FreeportCoreFFI"],
            path: "Sources/FreeportCore",
            swiftSettings: swift5,
            linkerSettings: [.linkedLibrary("freeport_core", .when(platforms: [.linux]))]
        ),
        // View models: Foundation + Observation only, so they build and test on Linux (Swift 6 mode).
        .target(
            name: "FreeportViewModels",
            dependencies: ["FreeportCore"],
            path: "Sources/FreeportViewModels"
        ),
        // The core's SecretStore over the Keychain (an empty module where Security is missing).
        .target(
            name: "KeychainSecretStore",
            dependencies: ["FreeportCore"],
            path: "Sources/KeychainSecretStore"
        ),
        // Linux only: a symbol Debian's swiftlang libswiftObservation.so needs but no toolchain
        // library exports (see Tests/LinuxObservationShim/shim.cpp and docs/BINDINGS.md).
        .target(
            name: "LinuxObservationShim",
            path: "Tests/LinuxObservationShim"
        ),
        .testTarget(
            name: "FreeportViewModelsTests",
            dependencies: [
                "FreeportCore",
                "FreeportViewModels",
                .target(name: "LinuxObservationShim", condition: .when(platforms: [.linux])),
            ],
            path: "Tests/FreeportViewModelsTests",
            swiftSettings: swift5
        ),
        .testTarget(
            name: "FreeportKitTests",
            dependencies: [
                "FreeportCore",
                "FreeportViewModels",
                .target(name: "LinuxObservationShim", condition: .when(platforms: [.linux])),
            ],
            path: "Tests/FreeportKitTests",
            swiftSettings: swift5
        ),
    ]
)
