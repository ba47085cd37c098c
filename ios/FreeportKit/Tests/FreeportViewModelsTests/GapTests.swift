import Foundation
import XCTest
import FreeportCore
@testable import FreeportViewModels

// Screens and behaviours of issues 9/10 that the flow tests do not reach: the relay list in
// Settings, the profile's phone verification, the root model's event counters, and state
// restored after the process is killed.

final class RelaySettingsTests: XCTestCase {
    func testRelayAddressShapes() {
        for ok in ["wss://relay.damus.io", "wss://nos.lol/", "wss://relay.example.com:444/path",
                   "ws://localhost:7777", "ws://127.0.0.1:4869", "ws://[::1]:7000", " wss://padded.example "] {
            XCTAssertNil(relayAddressProblem(ok), ok)
        }
        for bad in ["", "relay.damus.io", "https://relay.damus.io", "ws://relay.damus.io", "wss://",
                    "wss://user:pw@relay.example", "ftp://relay.example", "wss://two words.example"] {
            XCTAssertEqual(relayAddressProblem(bad), .notARelayAddress, bad)
        }
    }

    @MainActor
    func testRelayListIsEditedSavedAndReadAgainAfterARestart() async throws {
        let phone = try Phone(name: "relays", relay: nil)
        let file = phone.dir.appendingPathComponent("relays.txt")
        let defaults = ["wss://relay.one.example", "wss://relay.two.example"]
        let settings = SettingsModel(core: phone.core, relayList: FileRelayList(url: file), defaultRelays: defaults) {}
        XCTAssertEqual(settings.relayList, defaults, "nothing saved yet: the core's defaults")
        XCTAssertFalse(settings.restartNeeded)

        settings.newRelay = "https://not.a.relay"
        XCTAssertFalse(settings.addRelay())
        XCTAssertEqual(settings.relayProblem, .notARelayAddress)
        XCTAssertEqual(settings.relayList, defaults, "a refused address changes nothing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: file.path))
        XCTAssertFalse(settings.restartNeeded)
        settings.newRelay = " wss://mine.example "
        XCTAssertNil(settings.relayProblem, "editing clears the problem")
        XCTAssertTrue(settings.addRelay())
        XCTAssertEqual(settings.relayList, defaults + ["wss://mine.example"])
        XCTAssertEqual(settings.newRelay, "")
        XCTAssertTrue(settings.restartNeeded, "the core picks the list up when it is started again")
        settings.newRelay = "wss://mine.example"
        XCTAssertTrue(settings.addRelay())
        XCTAssertEqual(settings.relayList.count, 3, "no duplicates")
        settings.removeRelay("wss://relay.one.example")
        XCTAssertEqual(FileRelayList(url: file).load(), ["wss://relay.two.example", "wss://mine.example"])

        // What the app reads at the next start.
        let again = SettingsModel(core: phone.core, relayList: FileRelayList(url: file), defaultRelays: defaults) {}
        XCTAssertEqual(again.relayList, ["wss://relay.two.example", "wss://mine.example"])
        again.removeRelay("wss://relay.two.example")
        again.removeRelay("wss://mine.example")
        XCTAssertEqual(again.relayList, ["wss://mine.example"], "the last relay cannot be removed")
        again.resetRelays()
        XCTAssertEqual(again.relayList, defaults)
        XCTAssertEqual(FileRelayList(url: file).load(), defaults)
    }

    @MainActor
    func testUnreadableOrUnwritableListFallsBackWithoutCrashing() async throws {
        let phone = try Phone(name: "relays-bad", relay: nil)
        try FileManager.default.createDirectory(at: phone.dir, withIntermediateDirectories: true)
        let file = phone.dir.appendingPathComponent("relays.txt")
        for garbage in [Data([0xFF, 0xFE, 0x00]), Data(" \n\n \t\n".utf8), Data()] {
            try garbage.write(to: file)
            XCTAssertNil(FileRelayList(url: file).load(), "\(Array(garbage))")
        }
        // A list under a path whose parent is a file cannot be written: an error, list unchanged.
        let blocked = FileRelayList(url: file.appendingPathComponent("sub/relays.txt"))
        let settings = SettingsModel(core: phone.core, relayList: blocked, defaultRelays: ["wss://d.example"]) {}
        settings.newRelay = "wss://x.example"
        XCTAssertFalse(settings.addRelay())
        XCTAssertEqual(settings.error?.field, "relays")
        XCTAssertEqual(settings.relayList, ["wss://d.example"])
        XCTAssertFalse(settings.restartNeeded)
    }
}

final class ProfileStatusTests: XCTestCase {
    @MainActor
    func testProfileShowsThePhoneVerificationStatus() async throws {
        let nobody = try Phone(name: "no-identity", relay: nil)
        let empty = ProfileModel(core: nobody.core)
        await empty.load()
        XCTAssertNil(empty.phoneStatus, "no identity yet: nothing to show")

        let phone = try Phone(name: "verification", relay: nil)
        _ = try phone.core.createIdentity()
        let model = ProfileModel(core: phone.core)
        await model.load()
        XCTAssertNil(model.error, "\(String(describing: model.error))")
        XCTAssertEqual(model.phoneStatus, .notPublished, "no phone yet, and nobody has reached it")
    }
}

final class AppModelTests: XCTestCase {
    @MainActor
    func testEventsBecomeRevisionCountersAndRefusedMessagesAreCapped() async throws {
        let phone = try Phone(name: "events", relay: nil)
        let app = AppModel(core: phone.core)
        await app.start()
        XCTAssertEqual(app.phase, .onboarding)
        app.handle(.intentSeen(market: rideshare, intentId: "i"))
        app.handle(.negotiationChanged(nego: "n", state: .open))
        app.handle(.dealMet(nego: "n"))
        app.handle(.screeningChanged(pubkey: "p"))
        XCTAssertEqual([app.marketsRevision, app.dealsRevision, app.screeningRevision], [1, 2, 1])
        XCTAssertEqual(app.lastEvent, .screeningChanged(pubkey: "p"))
        for i in 0..<25 { app.handle(.messageRejected(reason: i < 24 ? .malformed : .notAParty)) }
        XCTAssertEqual(app.rejected.count, 20, "the diagnostics list keeps the newest 20")
        XCTAssertEqual(app.rejected.first, .malformed)
        XCTAssertEqual(app.rejected.last, .notAParty)
    }
}

final class RelaunchTests: XCTestCase {
    /// Issue 9 "survives process death": every screen reloads from the core's store, so a new
    /// process over the same data directory and secret store shows the same deal and can still
    /// show its meet code offline.
    @MainActor
    func testAConfirmedDealIsBackAfterTheProcessIsKilled() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let alice = try Phone(name: "alice", relay: relay.url())
        let bob = try Phone(name: "bob", relay: relay.url())
        let aliceCore = alice.core
        for core in [aliceCore, bob.core] {
            _ = try core.createIdentity()
            try await core.startNetwork()
        }
        let intent = try await postRide(aliceCore)
        try await eventually("Bob sees the intent") {
            try await bob.core.browse(market: rideshare, near: nil, radius: 0).contains { $0.id == intent.id }
        }
        let deal = try await bob.core.respondAccept(intentId: intent.id)
        try await eventually("Alice gets the quote") { try aliceCore.quotes(intentId: intent.id).count == 1 }
        _ = try await aliceCore.pick(nego: deal.nego)
        let before = try aliceCore.deal(nego: deal.nego)
        XCTAssertEqual(before.state, .confirmed)
        await aliceCore.stopNetwork()

        // The process dies; the app is relaunched offline (no relay) over the same data.
        let relaunched = try Phone(relaunching: alice, relay: nil)
        let root = AppModel(core: relaunched.core)
        await root.start()
        guard case let .ready(id) = root.phase else { return XCTFail("\(root.phase)") }
        XCTAssertEqual(id.pubkey, aliceCore.identity()?.pubkey, "the identity came back from the secret store")

        let deals = DealsModel(core: relaunched.core)
        await deals.refresh()
        XCTAssertEqual(deals.deals.map(\.nego), [deal.nego], "\(String(describing: deals.error))")
        XCTAssertEqual(deals.deals.first?.state, .confirmed)
        let thread = NegotiationModel(core: relaunched.core, nego: deal.nego)
        await thread.refresh()
        XCTAssertEqual(thread.contact, before.theirContact, "the revealed contact is restored")
        XCTAssertNotNil(thread.contact)
        let mine = MyIntentsModel(core: relaunched.core)
        await mine.refresh()
        XCTAssertEqual(mine.intents.map(\.id), [intent.id])
        let show = MeetShowModel(core: relaunched.core, nego: deal.nego, pngPixels: 200)
        await show.refresh()
        XCTAssertNotNil(show.code, "the meet code works offline after a relaunch: \(String(describing: show.error))")
    }
}
