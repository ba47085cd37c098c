import Foundation
import XCTest
import FreeportCore
@testable import FreeportViewModels

// Screens and behaviours of issues 9/10 that the flow tests do not reach: the relay settings in
// Settings, the profile's phone verification, the root model's event counters, and state
// restored after the process is killed.

final class RelaySettingsTests: XCTestCase {
    @MainActor
    func testRelaySettingsAreTheCoresAndEveryRefusalLandsOnItsList() async throws {
        let phone = try Phone(name: "relays", relay: nil)
        // The relay file an earlier version kept becomes the settings once (a bad line skipped).
        try FileManager.default.createDirectory(at: phone.dir, withIntermediateDirectories: true)
        let legacy = phone.dir.appendingPathComponent("relays.txt")
        try Data("wss://one.example.com\nhttp://bad.example.com\n".utf8).write(to: legacy)
        let imported = try await phone.core.importRelayFile(path: legacy.path)
        XCTAssertTrue(imported.imported && imported.removed)
        XCTAssertEqual(imported.skipped, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: legacy.path))

        let settings = SettingsModel(core: phone.core) {}
        await settings.refresh()
        let one = ["wss://one.example.com"]
        for role in SettingsModel.roles { XCTAssertEqual(settings.list(role), one, "\(role)") }
        XCTAssertEqual(settings.settings?.published, false, "nothing published offline")

        // Refused by the core's rules, under the field being typed in; nothing changes.
        settings.setDraft(.read, "https://not.a.relay")
        await settings.addRelay(.read)
        XCTAssertEqual(settings.draftViolation(.read)?.rule, .scheme)
        XCTAssertEqual(settings.drafts[.read], "https://not.a.relay", "the field keeps it")
        settings.setDraft(.inbox, "ws://relay.example.com")
        await settings.addRelay(.inbox)
        XCTAssertEqual(settings.draftViolation(.inbox)?.rule, .plainWs)
        XCTAssertNil(settings.draftViolation(.read), "typing cleared only its own list")
        let stored = try await phone.core.relaySettings()
        XCTAssertEqual(stored.read, one)
        XCTAssertEqual(stored.inbox, one)

        // Accepted: canonical form, the field empties.
        settings.setDraft(.read, " wss://Two.example.com/ ")
        await settings.addRelay(.read)
        XCTAssertEqual(settings.list(.read), ["wss://one.example.com", "wss://two.example.com"])
        XCTAssertNil(settings.drafts[.read])
        XCTAssertTrue(settings.violations.isEmpty)

        // A duplicate in another spelling; emptying a list is refused.
        settings.setDraft(.read, "wss://TWO.example.com")
        await settings.addRelay(.read)
        XCTAssertEqual(settings.draftViolation(.read)?.rule, .duplicate)
        await settings.removeRelay(.write, "wss://one.example.com")
        XCTAssertEqual(settings.draftViolation(.write)?.rule, .listEmpty)
        XCTAssertEqual(settings.list(.write), one)
        await settings.removeRelay(.read, "wss://one.example.com")
        XCTAssertEqual(settings.list(.read), ["wss://two.example.com"])

        // The privacy switch and blocked keys are the core's too.
        XCTAssertFalse(settings.requireNip17)
        await settings.setRequireNip17(true)
        XCTAssertTrue(settings.requireNip17, "\(String(describing: settings.error))")
        XCTAssertTrue(phone.core.requireNip17())
        let other = try Phone(name: "blocked", relay: nil)
        let otherKey = try other.core.createIdentity().npub
        _ = try await phone.core.block(key: otherKey)
        await settings.refresh()
        XCTAssertEqual(settings.blocked.map(\.npub), [otherKey])
        await settings.unblock(try XCTUnwrap(settings.blocked.first).pubkey)
        XCTAssertTrue(settings.blocked.isEmpty, "\(String(describing: settings.error))")

        // What the next start reads: the core's store, no file.
        let again = SettingsModel(core: phone.core) {}
        await again.refresh()
        XCTAssertEqual(again.list(.read), ["wss://two.example.com"])
        await again.resetRelays()
        XCTAssertTrue(again.list(.read).allSatisfy { $0.hasPrefix("wss://") } && !again.list(.read).isEmpty)
        XCTAssertEqual(again.list(.inbox), again.list(.read))
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
        app.handle(.chatReceived(nego: "n"))
        XCTAssertEqual(app.dealsRevision, 3, "a chat message refreshes the deal screens")
        for i in 0..<25 { app.handle(.messageRejected(code: i < 24 ? .malformed : .notForUs, nego: nil)) }
        XCTAssertEqual(app.rejected.count, 20, "the diagnostics list keeps the newest 20")
        XCTAssertEqual(app.rejected.first, Rejection(code: .malformed, nego: nil))
        XCTAssertEqual(app.rejected.last, Rejection(code: .notForUs, nego: nil))
        XCTAssertEqual(app.dealsRevision, 3, "refusals about no deal of ours touch no deal screen")
        app.handle(.messageRejected(code: .closed, nego: "n"))
        XCTAssertEqual(app.dealsRevision, 4, "a refusal on a deal refreshes its screen")
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
