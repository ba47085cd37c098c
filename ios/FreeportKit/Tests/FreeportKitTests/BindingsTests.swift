import Foundation
import XCTest
@testable import FreeportCore
@testable import FreeportViewModels

let nip19Hex = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
let nip19Npub = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
let nip19Nsec = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
let identityKey = "freeport.nostr.secret_key.v1"

/// A Swift SecretStore over a dictionary, counting writes; the shape the Keychain store has.
class MemoryStore: SecretStore, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Data] = [:]
    private var putCount = 0

    var puts: Int { lock.withLock { putCount } }
    func value(_ key: String) -> Data? { lock.withLock { values[key] } }
    func set(_ key: String, _ value: Data) { lock.withLock { values[key] = value } }

    func get(key: String) throws -> Data? { lock.withLock { values[key] } }
    func put(key: String, value: Data) throws {
        lock.withLock { putCount += 1; values[key] = value }
    }
    func delete(key: String) throws { _ = lock.withLock { values.removeValue(forKey: key) } }
}

/// A store whose every call throws `error`.
final class ThrowingStore: SecretStore, @unchecked Sendable {
    let error: Error
    init(_ error: Error) { self.error = error }
    func get(key: String) throws -> Data? { throw error }
    func put(key: String, value: Data) throws { throw error }
    func delete(key: String) throws { throw error }
}

/// Accepts writes and forgets them (a broken keystore).
final class ForgetfulStore: MemoryStore, @unchecked Sendable {
    override func put(key: String, value: Data) throws {}
}

struct KeystoreExploded: Error, CustomStringConvertible {
    var description: String { "keystore exploded" }
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

final class SyncFunctionTests: XCTestCase {
    func testCoreVersionIsTheWorkspaceVersion() throws {
        XCTAssertEqual(coreVersion(), try workspaceVersion())
    }

    func testValidateNpubCanonicalises() throws {
        XCTAssertEqual(try validateNpub(input: nip19Npub), nip19Npub)
        XCTAssertEqual(try validateNpub(input: nip19Hex), nip19Npub)
        XCTAssertEqual(try validateNpub(input: "  nostr:\(nip19Npub)\n"), nip19Npub)
    }
}

final class TypedErrorTests: XCTestCase {
    func testEmptyInputThrowsInvalidInputWithFields() {
        XCTAssertThrowsError(try validateNpub(input: "  ")) { error in
            guard case let ApiError.InvalidInput(field, rule) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(field, "npub")
            XCTAssertEqual(rule, "is empty")
            // Display is exported from Rust.
            XCTAssertEqual(String(describing: error), "npub: is empty")
        }
    }

    func testSecretKeyIsRefusedWithoutEchoingIt() {
        XCTAssertThrowsError(try validateNpub(input: nip19Nsec)) { error in
            guard case let ApiError.InvalidInput(_, rule) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertTrue(rule.contains("never share it"), rule)
            XCTAssertFalse(String(describing: error).contains(nip19Nsec))
        }
    }

    func testMalformedKeysNameTheRule() {
        for input in ["npub1", "hello", String(nip19Hex.dropLast()), String(repeating: "0", count: 62) + "05"] {
            XCTAssertThrowsError(try validateNpub(input: input)) { error in
                guard case let ApiError.InvalidInput(field, rule) = error else {
                    return XCTFail("unexpected error \(error)")
                }
                XCTAssertEqual(field, "npub")
                XCTAssertTrue(rule.hasPrefix("is not"), "\(input) -> \(rule)")
            }
        }
    }
}

final class AsyncAndForeignTraitTests: XCTestCase {
    func testFirstCallCreatesLaterCallsLoad() async throws {
        let store = MemoryStore()
        let first = try await loadOrCreateIdentity(store: store)
        XCTAssertTrue(first.created)
        XCTAssertEqual(try validateNpub(input: first.npub), first.npub)
        XCTAssertEqual(try validateNpub(input: first.publicKeyHex), first.npub)
        XCTAssertEqual(store.value(identityKey)?.count, 32)

        let second = try await loadOrCreateIdentity(store: store)
        XCTAssertFalse(second.created)
        XCTAssertEqual(second.npub, first.npub)
        XCTAssertEqual(store.puts, 1)
    }

    func testConcurrentFirstLaunchesCreateOneKey() async throws {
        let store = MemoryStore()
        let results = try await withThrowingTaskGroup(of: IdentityInfo.self) { group in
            for _ in 0..<4 { group.addTask { try await loadOrCreateIdentity(store: store) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(Set(results.map(\.npub)).count, 1)
        XCTAssertEqual(results.filter(\.created).count, 1)
        XCTAssertEqual(store.puts, 1)
    }

    func testTypedErrorThrownBySwiftStoreMapsToTypedApiError() async {
        let store = ThrowingStore(SecretStoreError.Unavailable(reason: "device locked"))
        do {
            _ = try await loadOrCreateIdentity(store: store)
            XCTFail("expected an error")
        } catch let ApiError.SecretStoreUnavailable(operation, reason) {
            XCTAssertEqual(operation, "get")
            XCTAssertEqual(reason, "device locked")
        } catch {
            XCTFail("unexpected error \(error)")
        }
    }

    func testUnexpectedErrorThrownBySwiftStoreIsCaught() async {
        let store = ThrowingStore(KeystoreExploded())
        do {
            _ = try await loadOrCreateIdentity(store: store)
            XCTFail("expected an error")
        } catch let ApiError.SecretStoreFailed(operation, reason) {
            XCTAssertEqual(operation, "get")
            XCTAssertTrue(reason.contains("keystore exploded"), reason)
        } catch {
            XCTFail("unexpected error \(error)")
        }
    }

    func testCorruptValueIsReportedAndLeftUntouched() async {
        let store = MemoryStore()
        store.set(identityKey, Data([1, 2, 3, 4, 5]))
        do {
            _ = try await loadOrCreateIdentity(store: store)
            XCTFail("expected an error")
        } catch let ApiError.CorruptSecret(key, rule) {
            XCTAssertEqual(key, identityKey)
            XCTAssertEqual(rule, "expected 32 bytes, found 5")
        } catch {
            XCTFail("unexpected error \(error)")
        }
        XCTAssertEqual(store.value(identityKey), Data([1, 2, 3, 4, 5]))
        XCTAssertEqual(store.puts, 0)
    }

    func testStoreThatLosesWritesIsDetected() async {
        do {
            _ = try await loadOrCreateIdentity(store: ForgetfulStore())
            XCTFail("expected an error")
        } catch let ApiError.SecretStoreFailed(operation, _) {
            XCTAssertEqual(operation, "verify")
        } catch {
            XCTFail("unexpected error \(error)")
        }
    }
}

@MainActor
final class AboutModelTests: XCTestCase {
    func testShowsTheCoreVersion() throws {
        XCTAssertEqual(AboutModel(store: MemoryStore()).coreVersion, try workspaceVersion())
    }

    func testCheckKeyPublishesValidAndInvalidAndResetsOnEdit() {
        let model = AboutModel(store: MemoryStore())
        model.keyInput = nip19Hex
        model.checkKey()
        XCTAssertEqual(model.keyCheck, .valid(npub: nip19Npub))

        model.keyInput = nip19Nsec
        XCTAssertEqual(model.keyCheck, .idle)
        model.checkKey()
        guard case let .invalid(rule) = model.keyCheck else {
            return XCTFail("expected invalid, got \(model.keyCheck)")
        }
        XCTAssertTrue(rule.contains("never share it"), rule)
    }

    func testLoadIdentityCreatesThenLoads() async throws {
        let store = MemoryStore()
        let model = AboutModel(store: store)
        XCTAssertEqual(model.identity, .unknown)
        await model.loadIdentity()
        guard case let .ready(info) = model.identity else {
            return XCTFail("expected ready, got \(model.identity)")
        }
        XCTAssertTrue(info.created)

        let again = AboutModel(store: store)
        await again.loadIdentity()
        XCTAssertEqual(again.identity, .ready(IdentityInfo(npub: info.npub, publicKeyHex: info.publicKeyHex, created: false)))
    }

    func testLockedStoreAsksToRetryAndBrokenStoreFails() async {
        let locked = AboutModel(store: ThrowingStore(SecretStoreError.Unavailable(reason: "device locked")))
        await locked.loadIdentity()
        XCTAssertEqual(locked.identity, .retryLater(reason: "device locked"))

        let broken = AboutModel(store: ThrowingStore(KeystoreExploded()))
        await broken.loadIdentity()
        guard case let .failed(message) = broken.identity else {
            return XCTFail("expected failed, got \(broken.identity)")
        }
        XCTAssertTrue(message.contains("keystore exploded"), message)
    }
}
