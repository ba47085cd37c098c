import Foundation
import XCTest
@testable import FreeportCore
@testable import FreeportViewModels

private func offline(_ name: String, store: SecretStore = MemoryStore()) throws -> FreeportApp {
    try phone(name, relays: [], store: store)
}

final class FreeFunctionTests: XCTestCase {
    func testCoreVersionIsTheWorkspaceVersion() throws {
        XCTAssertEqual(coreVersion(), try workspaceVersion())
    }

    func testValidateNpubCanonicalisesAndRefusesWithFields() throws {
        XCTAssertEqual(try validateNpub(input: nip19Hex), nip19Npub)
        XCTAssertThrowsError(try validateNpub(input: " ")) { error in
            guard case let FreeportError.InvalidInput(violations) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(violations, [FieldViolation(field: "npub", rule: .required)])
        }
        XCTAssertThrowsError(try validateNpub(input: nip19Nsec)) { error in
            guard case let FreeportError.InvalidInput(violations) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(violations.map(\.rule), [.isSecretKey])
            XCTAssertFalse(String(describing: error).contains(nip19Nsec))
            XCTAssertFalse(((error as? FreeportError)?.description ?? nip19Nsec).contains(nip19Nsec))
        }
        // The backup passphrase rule, for feedback while typing.
        XCTAssertEqual(
            checkPassphrase(passphrase: "short", confirmation: "other", purpose: .newBackup),
            [FieldViolation(field: "passphrase", rule: .tooShort(min: 8)), FieldViolation(field: "confirmation", rule: .mismatch)])
    }

    func testGeohashAndDefaults() throws {
        XCTAssertEqual(try geohashFor(lat: 1.2881, lon: 103.8483, precision: 6), "w21z74")
        XCTAssertThrowsError(try geohashFor(lat: 91, lon: 0, precision: 5)) { error in
            guard case let FreeportError.InvalidInput(violations) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(violations.first?.field, "lat")
        }
        let c = defaultConfig(dataDir: "/tmp/x")
        XCTAssertTrue(c.relays.isEmpty, "the saved relay settings are used")
        XCTAssertFalse(c.indexRelays.isEmpty)
        XCTAssertEqual(c.intentPowBits, 12)
        XCTAssertFalse(fullNumberWarning().isEmpty)
    }
}

final class TypedErrorTests: XCTestCase {
    func testErrorsAreTypedWithFields() async throws {
        let app = try offline("errors")
        XCTAssertThrowsError(try app.myIntents()) { error in
            guard case FreeportError.NoIdentity = error else { return XCTFail("\(error)") }
        }
        _ = try app.createIdentity()
        do {
            _ = try await app.postIntent(input: PostIntentInput(
                market: "pets", side: .offer, title: "Cat", entries: [], geohash: nil,
                expiresInSecs: nil, powBits: 0))
            XCTFail("unknown market accepted")
        } catch let FreeportError.UnknownMarket(market) {
            XCTAssertEqual(market, "pets")
        }
        do {
            _ = try await app.meetScanText(text: "https://example.com")
            XCTFail("not a code accepted")
        } catch let FreeportError.InvalidCode(problem) {
            XCTAssertEqual(problem, .notFreeport)
        }
        // Every violation of a post at once, each on its field; nothing is published.
        do {
            _ = try await app.postIntent(input: PostIntentInput(
                market: "goods/1", side: .offer, title: " ",
                entries: [FormEntry(path: "/price", value: .text(text: "ten"))],
                geohash: "w21z!", expiresInSecs: nil, powBits: 0))
            XCTFail("a bad post accepted")
        } catch let FreeportError.InvalidInput(violations) {
            XCTAssertTrue(violations.contains(FieldViolation(field: "title", rule: .required)), "\(violations)")
            XCTAssertTrue(violations.contains(FieldViolation(field: "/price", rule: .notANumber)), "\(violations)")
            XCTAssertTrue(violations.contains(FieldViolation(field: "geohash", rule: .badFormat(format: .geohash))), "\(violations)")
            XCTAssertTrue(violations.contains(FieldViolation(field: "/item", rule: .required)), "\(violations)")
        }
        XCTAssertEqual(try app.myIntents(), [])
        do {
            _ = try await app.respondCounter(intentId: String(repeating: "00", count: 32), termsJson: "42")
            XCTFail("bad terms accepted")
        } catch let FreeportError.InvalidInput(violations) {
            XCTAssertEqual(violations.first?.field, "terms_json")
        }
        XCTAssertThrowsError(try app.deal(nego: "nope")) { error in
            guard case let FreeportError.UnknownNegotiation(nego) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(nego, "nope")
        }
        do {
            _ = try await app.sync()
            XCTFail("sync offline")
        } catch FreeportError.Offline {}
    }

    func testBackupRestoresAndWrongPassphraseChangesNothing() throws {
        let old = try offline("old")
        let id = try old.createIdentity()
        let backup = try old.exportBackup(passphrase: "correct horse battery staple")
        let fresh = try offline("new")
        XCTAssertThrowsError(try fresh.restoreIdentity(ncryptsec: backup, passphrase: "wrong passphrase!!")) { error in
            guard case FreeportError.WrongPassphrase = error else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(fresh.hasIdentity())
        XCTAssertEqual(try fresh.restoreIdentity(ncryptsec: backup, passphrase: "correct horse battery staple"), id)
    }
}

final class SecretStoreFromSwiftTests: XCTestCase {
    func testIdentityLivesInTheSwiftStoreAndSurvivesARestart() throws {
        let store = MemoryStore()
        var config = defaultConfig(dataDir: tempDir("restart"))
        config.relays = []
        let id = try FreeportApp(config: config, secrets: store).createIdentity()
        XCTAssertNotNil(store.value(identityKey))
        XCTAssertEqual(try FreeportApp(config: config, secrets: store).identity(), id)
    }

    func testTypedSwiftErrorReachesTheCallerAsSecretStore() {
        XCTAssertThrowsError(try offline("locked", store: ThrowingStore(SecretStoreError.Locked(reason: "device is locked")))) { error in
            guard case let FreeportError.SecretStore(reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("device is locked"), reason)
        }
    }

    func testAnyOtherSwiftErrorIsCaughtNeverACrash() {
        XCTAssertThrowsError(try offline("exploded", store: ThrowingStore(KeystoreExploded()))) { error in
            guard case FreeportError.SecretStore = error else { return XCTFail("\(error)") }
        }
    }
}

final class ListenerTests: XCTestCase {
    func testIntentSeenInAWatchedMarketUntilCancelled() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let alice = try phone("l-alice", relays: [relay.url()])
        let bob = try phone("l-bob", relays: [relay.url()])
        for p in [alice, bob] {
            _ = try p.createIdentity()
            try await p.startNetwork()
            _ = try await p.waitConnected(timeoutMs: 10_000)
        }
        try await bob.watchMarket(market: "goods")
        let cancelled = Recorder()
        let kept = Recorder()
        let cancelledHandle = bob.subscribe(listener: cancelled)
        let keptHandle = bob.subscribe(listener: kept)
        func seen(_ r: Recorder, _ id: String) -> Bool {
            r.events.contains { if case .intentSeen(_, let i) = $0 { return i == id }; return false }
        }
        let post = { (title: String) in
            try await alice.postIntent(input: PostIntentInput(
                market: "goods/1", side: .offer, title: title, entries: bikeEntries(1),
                geohash: nil, expiresInSecs: nil, powBits: 0))
        }
        let first = try await post("A")
        _ = try await alice.flushOutbox(timeoutMs: 10_000)
        _ = try await eventually("both listeners see the first intent") {
            seen(cancelled, first.id) && seen(kept, first.id) ? true : nil
        }
        cancelledHandle.cancel()
        XCTAssertFalse(cancelledHandle.isActive())
        let second = try await post("B")
        _ = try await alice.flushOutbox(timeoutMs: 10_000)
        _ = try await eventually("the kept listener sees the second intent") { seen(kept, second.id) ? true : nil }
        XCTAssertFalse(seen(cancelled, second.id))
        XCTAssertTrue(keptHandle.isActive())
        for p in [alice, bob] { await p.stopNetwork() }
    }
}

final class AboutModelTests: XCTestCase {
    @MainActor
    func testShowsTheCoreVersionAndChecksKeys() async throws {
        let model = AboutModel(app: try offline("about"))
        XCTAssertEqual(model.coreVersion, try workspaceVersion())
        model.keyInput = nip19Hex
        model.checkKey()
        XCTAssertEqual(model.keyCheck, .valid(npub: nip19Npub))
        model.keyInput = "nonsense"
        XCTAssertEqual(model.keyCheck, .idle)
        model.checkKey()
        XCTAssertEqual(model.keyCheck, .invalid(rule: .badFormat(format: .publicKey)))
    }

    @MainActor
    func testLoadIdentityCreatesThenLoads() async throws {
        let store = MemoryStore()
        var config = defaultConfig(dataDir: tempDir("about-id"))
        config.relays = []
        let model = AboutModel(app: try FreeportApp(config: config, secrets: store))
        await model.loadIdentity()
        guard case let .ready(created) = model.identity else { return XCTFail("\(model.identity)") }
        let again = AboutModel(app: try FreeportApp(config: config, secrets: store))
        await again.loadIdentity()
        XCTAssertEqual(again.identity, .ready(created))
    }
}
