import Foundation
import XCTest
import FreeportCore
@testable import FreeportViewModels

/// A Swift `SecretStore` over a dictionary (the shape of the Keychain store, without Security).
final class MemoryStore: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Data] = [:]

    var keys: [String] { lock.withLock { Array(values.keys) } }
    func get(key: String) throws -> Data? { lock.withLock { values[key] } }
    func set(key: String, value: Data) throws { lock.withLock { values[key] = value } }
    func delete(key: String) throws { _ = lock.withLock { values.removeValue(forKey: key) } }
    func removeAll() { lock.withLock { values.removeAll() } }
}

/// One person on one phone: a real core with its own data directory and secret store, talking
/// to the shared embedded relay.
final class Phone {
    let dir: URL
    let store = MemoryStore()
    let core: FreeportApp

    private let ownsDir: Bool

    init(name: String, relay: String?) throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("freeport-vm-\(name)-\(UUID().uuidString)")
        ownsDir = true
        core = try FreeportApp(config: Self.config(dir, relay: relay), secrets: store)
    }

    /// The same phone after the app process was killed and relaunched: a new core over the same
    /// data directory and the same secret store (the Keychain survives the process).
    init(relaunching other: Phone, relay: String?) throws {
        dir = other.dir
        ownsDir = false
        for key in other.store.keys {
            try store.set(key: key, value: try XCTUnwrap(other.store.get(key: key)))
        }
        core = try FreeportApp(config: Self.config(dir, relay: relay), secrets: store)
    }

    private static func config(_ dir: URL, relay: String?) -> FreeportConfig {
        var cfg = defaultConfig(dataDir: dir.path)
        // No relay: one on this machine nothing listens on. A test never contacts the shipped
        // public relays (nor the index relays).
        cfg.relays = [relay ?? "ws://127.0.0.1:1"]
        cfg.indexRelays = []
        // Proof of work is exercised by the core's own tests; here it would only slow the flow.
        cfg.intentPowBits = 0
        cfg.ratingPowBits = 0
        return cfg
    }

    deinit { if ownsDir { try? FileManager.default.removeItem(at: dir) } }
}

/// Waits (polling, up to `seconds`) until `condition` holds: relays deliver asynchronously.
/// The deadline is a hang guard, not a performance assertion.
@MainActor
func eventually(
    _ what: String, seconds: Double = 30, file: StaticString = #filePath, line: UInt = #line,
    _ condition: @MainActor () async throws -> Bool
) async rethrows {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try? await Task.sleep(nanoseconds: 100_000_000)
    }
    XCTFail("timed out waiting for: \(what)", file: file, line: line)
}

/// A mutable clock for countdown tests.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64
    init(_ start: UInt64) { value = start }
    var now: UInt64 {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
    var clock: Clock { Clock { [self] in self.now } }
}

let rideshare = "sg-rideshare"
/// Central Singapore.
let sgLat = 1.2903, sgLon = 103.8520

/// Fills the rideshare form the way a user would and posts it.
@MainActor
func postRide(_ core: FreeportCoreAPI, title: String = "Seat to the airport", payment: String = "SGD 15") async throws -> IntentView {
    let market = try await core.markets().first { $0.topic == rideshare }
    let form = PostIntentModel(core: core, market: try XCTUnwrap(market))
    form.powBits = 0
    form.title = title
    form.entries["/from"] = FieldEntry(text: "Raffles Place")
    form.setLocation(path: "/from", latitude: sgLat, longitude: sgLon)
    form.entries["/to"] = FieldEntry(text: "Changi Airport", geohash: "w21zg")
    form.entries["/payment"] = FieldEntry(text: payment)
    await form.submit()
    XCTAssertNil(form.error, "\(String(describing: form.error))")
    return try XCTUnwrap(form.posted)
}

/// The QR of a meet code as a camera would see it: a luma frame (light = 255) drawn from the
/// core's terminal rendering (half blocks, light modules lit), `scale` pixels per module, a
/// wide light margin, and `padding` extra bytes per row (stride > width, as on real cameras).
func lumaFrame(fromTerminal text: String, scale: Int = 4, margin: Int = 4, padding: Int = 16) -> (width: Int, height: Int, stride: Int, data: Data) {
    var rows: [[Bool]] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
        var top: [Bool] = [], bottom: [Bool] = []
        for ch in line {
            top.append(ch == "█" || ch == "▀")
            bottom.append(ch == "█" || ch == "▄")
        }
        rows.append(top)
        rows.append(bottom)
    }
    let modules = rows.map(\.count).max() ?? 0
    // The symbol is square: an odd row count leaves a padding half-row at the bottom.
    rows = Array(rows.prefix(modules))
    let side = (modules + 2 * margin) * scale
    let stride = side + padding
    var bytes = [UInt8](repeating: 255, count: stride * side)
    for (my, row) in rows.enumerated() {
        for (mx, lit) in row.enumerated() where !lit {
            for dy in 0..<scale {
                for dx in 0..<scale {
                    bytes[((my + margin) * scale + dy) * stride + (mx + margin) * scale + dx] = 0
                }
            }
        }
    }
    return (side, side, stride, Data(bytes))
}
