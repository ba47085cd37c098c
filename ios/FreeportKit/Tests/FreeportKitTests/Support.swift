import Foundation
import XCTest
@testable import FreeportCore

let nip19Hex = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
let nip19Npub = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
let nip19Nsec = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
let identityKey = "freeport.identity.secret_key.v1"
/// Tanjong Pagar, Singapore.
let whereHash = "w21z74"
let pngMagic: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// A Swift SecretStore over a dictionary: the shape KeychainSecretStore has.
class MemoryStore: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Data] = [:]

    func value(_ key: String) -> Data? { lock.withLock { values[key] } }

    func get(key: String) throws -> Data? { lock.withLock { values[key] } }
    func set(key: String, value: Data) throws { lock.withLock { values[key] = value } }
    func delete(key: String) throws { _ = lock.withLock { values.removeValue(forKey: key) } }
}

/// A store whose every call throws `error`.
final class ThrowingStore: SecretStore, @unchecked Sendable {
    let error: Error
    init(_ error: Error) { self.error = error }
    func get(key: String) throws -> Data? { throw error }
    func set(key: String, value: Data) throws { throw error }
    func delete(key: String) throws { throw error }
}

struct KeystoreExploded: Error, CustomStringConvertible {
    var description: String { "keystore exploded" }
}

/// Collects every live update it receives.
final class Recorder: AppListener, @unchecked Sendable {
    private let lock = NSLock()
    private var received: [AppEventRecord] = []
    var events: [AppEventRecord] { lock.withLock { received } }
    func onEvent(event: AppEventRecord) { lock.withLock { received.append(event) } }
}

func tempDir(_ name: String) -> String {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("freeport-swift-\(name)-\(UUID().uuidString)")
    return url.path
}

/// A phone: its own data dir and Swift secret store, talking to `relays`.
func phone(_ name: String, relays: [String], store: SecretStore = MemoryStore()) throws -> FreeportApp {
    var config = defaultConfig(dataDir: tempDir(name))
    config.relays = relays
    config.indexRelays = [] // never the shipped public index relays in a test
    config.defaultRegion = "SG"
    return try FreeportApp(config: config, secrets: store)
}

/// Re-runs `probe` until it returns non-nil (relays deliver asynchronously); fails with `what`.
func eventually<T>(_ what: String, attempts: Int = 100, pauseMs: UInt64 = 100,
                   _ probe: () async throws -> T?) async throws -> T {
    for _ in 0..<attempts {
        if let v = try await probe() { return v }
        try await Task.sleep(nanoseconds: pauseMs * 1_000_000)
    }
    XCTFail("never happened: \(what)")
    throw CancellationError()
}

/// The goods/1 form as Alice fills it in (the core builds the payload from it).
func bikeEntries(_ price: Int, notes: String? = nil) -> [FormEntry] {
    var e = [
        FormEntry(path: "/item", value: .text(text: "city bike")),
        FormEntry(path: "/condition", value: .text(text: "good")),
        FormEntry(path: "/price", value: .text(text: "\(price)")),
        FormEntry(path: "/currency", value: .text(text: "SGD")),
        FormEntry(path: "/location", value: .place(name: "Tanjong Pagar MRT", geohash: whereHash)),
    ]
    if let notes { e.append(FormEntry(path: "/notes", value: .text(text: notes))) }
    return e
}

/// The goods/1 terms with another price and a note (a counter-offer as JSON).
func bikePayload(_ price: Int, notes: String? = nil) -> String {
    let n = notes.map { ",\"notes\":\"\($0)\"" } ?? ""
    return "{\"item\":\"city bike\",\"condition\":\"good\",\"price\":\(price),\"currency\":\"SGD\","
        + "\"location\":{\"name\":\"Tanjong Pagar MRT\",\"geohash\":\"\(whereHash)\"}\(n)}"
}

/// The workspace version from the repo's Cargo.toml (this file is ios/FreeportKit/Tests/X/…).
func workspaceVersion() throws -> String? {
    let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let toml = try String(contentsOf: root.appendingPathComponent("Cargo.toml"), encoding: .utf8)
    guard let section = toml.range(of: "[workspace.package]") else { return nil }
    for line in toml[section.upperBound...].split(separator: "\n") {
        if line.hasPrefix("[") { break }
        let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        if parts.count == 2, parts[0] == "version" { return parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
    }
    return nil
}
