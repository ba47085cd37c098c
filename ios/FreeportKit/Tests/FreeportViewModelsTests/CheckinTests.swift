import Foundation
import XCTest
import FreeportCore
@testable import FreeportViewModels

// Linux XCTest quirk (docs/BINDINGS.md): @MainActor goes on each test method, all async.

/// Meetup check-ins through the view models over the real core, three phones on one embedded
/// relay: Alice (who meets), Bob (the counterparty), Carol (Alice's trusted contact).
final class CheckinTests: XCTestCase {
    @MainActor
    private func online(_ name: String, _ relay: String) async throws -> Phone {
        let p = try Phone(name: name, relay: relay)
        _ = try p.core.createIdentity()
        try await p.core.startNetwork()
        _ = try await p.core.waitConnected(timeoutMs: 10_000)
        return p
    }

    @MainActor
    func testShareFromTheDealScreenDuressPinAndTheContactsAlert() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let alice = try await online("alice", relay.url())
        let bob = try await online("bob", relay.url())
        let carol = try await online("carol", relay.url())

        // A confirmed ride between Alice and Bob.
        let intent = try await postRide(alice.core)
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Bob sees the ride") {
            (try? await bob.core.browse(market: rideshare, near: nil, radius: 1))?.contains { $0.id == intent.id } ?? false
        }
        let nego = try await bob.core.respondAccept(intentId: intent.id).nego
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Alice has the quote") { (try? alice.core.deal(nego: nego)) != nil }
        _ = try await alice.core.pick(nego: nego)
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Alice confirmed") { (try? alice.core.deal(nego: nego))?.state == .confirmed }

        let aliceId = try XCTUnwrap(alice.core.identity())
        let carolId = try XCTUnwrap(carol.core.identity())
        let bobId = try XCTUnwrap(bob.core.identity())

        // No contact yet: nothing to share with, and the core says why.
        let clock = TestClock(UInt64(Date().timeIntervalSince1970))
        let screen = DealCheckinModel(core: alice.core, nego: nego, clock: clock.clock)
        await screen.refresh()
        XCTAssertEqual(screen.actions, [])
        XCTAssertEqual(screen.view?.shareRefusal, .noTrustedContacts)

        let contacts = TrustedContactsModel(core: alice.core)
        contacts.key = carolId.npub
        contacts.label = "Carol"
        await contacts.add()
        XCTAssertNil(contacts.error)
        XCTAssertEqual(contacts.contacts.map(\.label), ["Carol"])
        contacts.key = aliceId.pubkey
        await contacts.add()
        XCTAssertEqual(contacts.error?.kind, .invalidInput, "her own key is refused by the core")
        _ = try carol.core.addTrustedContact(key: aliceId.pubkey, label: nil)

        await screen.refresh()
        XCTAssertEqual(screen.actions, [.share])
        XCTAssertEqual(screen.chosen, [carolId.pubkey])
        screen.deadline = clock.now + 5
        await screen.share()
        XCTAssertEqual(screen.error?.field, "deadline", "too soon: the core's rule")
        screen.deadline = clock.now + 3600
        screen.placeName = "Raffles Place, exit H"
        await screen.share()
        XCTAssertNil(screen.error)
        XCTAssertEqual(screen.checkin?.state, .active)
        XCTAssertEqual(screen.actions, [.extend, .safe, .cancel])
        XCTAssertEqual(screen.secondsLeft, 3600)
        clock.now += 600
        XCTAssertEqual(screen.secondsLeft, 3000, "the countdown follows the clock")
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)

        let list = CheckinListModel(core: carol.core)
        await eventually("Carol watches it") {
            await list.refresh()
            return !list.watching.isEmpty
        }
        let seen = try XCTUnwrap(list.watching.first)
        XCTAssertEqual(seen.meeting.pubkey, bobId.pubkey)
        XCTAssertEqual(seen.placeName, "Raffles Place, exit H")
        let alert = CheckinAlertModel(core: carol.core, from: aliceId.pubkey, id: seen.id)
        await alert.refresh()
        XCTAssertEqual(alert.checkin?.state, .active)
        XCTAssertFalse(alert.isAlarm)

        // PINs: a wrong one changes nothing; the duress one reads "safe" on Alice's screen.
        try alice.core.setCheckinPins(safePin: "2580", duressPin: "1379")
        await screen.refresh()
        XCTAssertTrue(screen.pinRequired)
        screen.pin = "0000"
        await screen.safe()
        XCTAssertEqual(screen.error?.refusal, .wrongPin)
        XCTAssertEqual(screen.checkin?.state, .active)
        screen.pin = "1379"
        await screen.safe()
        XCTAssertNil(screen.error)
        XCTAssertEqual(screen.checkin?.state, .safe)
        XCTAssertEqual(screen.actions, [.share])
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)

        await eventually("Carol's alert turns to duress") {
            await alert.refresh()
            return alert.checkin?.state == .duress
        }
        XCTAssertTrue(alert.isAlarm)
        let notices = try carol.core.pendingNotices()
        XCTAssertTrue(notices.contains { if case .checkinDuress = $0.kind { return true } else { return false } })
        XCTAssertFalse(notices.contains { if case .checkinSafe = $0.kind { return true } else { return false } })
        // Bob was told nothing.
        XCTAssertFalse(try bob.core.pendingNotices().contains { $0.channel == .safety })
        for p in [alice, bob, carol] { await p.core.stopNetwork() }
    }

    private func alert(_ deadline: UInt64 = 1_800_000_000) -> CheckinAlert {
        CheckinAlert(
            id: "ab12",
            from: CheckinPersonView(pubkey: "aa", npub: "npub1alice0000000000000", name: "Alice"),
            meeting: CheckinMeetingView(
                pubkey: "bb", npub: "npub1bob", name: "Bob", phone: "+65••••4321",
                screening: CheckinScreeningView(
                    deals: 3, partners: 3, partnersInNetwork: 1, metInPerson: 1, verifiedBy: 1,
                    newAccount: false, verdict: .trusted)),
            placeName: "Raffles Place", geohash: "w21z7", meetAt: nil, deadline: deadline)
    }

    @MainActor
    func testCheckinNoticesOpenTheAlertScreenGroupedPerCheckin() async throws {
        let n = Notice(id: 7, kind: .checkinDuress(checkin: alert()), channel: .safety, createdAt: 5, deal: nil)
        let c = NoticeMapping.content(for: n)
        XCTAssertEqual(c.titleKey, "Check-in: they are not OK, act now")
        XCTAssertEqual(c.body, "Alice")
        XCTAssertEqual(c.threadIdentifier, "checkin:aa:ab12")
        XCTAssertTrue(c.timeSensitive)
        XCTAssertEqual(c.categoryIdentifier, "safety")
        let link = try XCTUnwrap(c.deepLink)
        XCTAssertEqual(DeepLink.checkin(from: link), CheckinRef(from: "aa", id: "ab12"))
        XCTAssertNil(DeepLink.nego(from: link), "not a deal link")
        XCTAssertNil(DeepLink.checkin(from: DeepLink.deal("a:b:c")))
        XCTAssertNil(DeepLink.checkin(from: try XCTUnwrap(URL(string: "freeport://checkin/aa"))))

        // The root model opens it.
        let phone = try Phone(name: "links", relay: nil)
        let app = AppModel(core: phone.core)
        app.open(link)
        XCTAssertEqual(app.requestedCheckin, CheckinRef(from: "aa", id: "ab12"))
        XCTAssertNotNil(app.checkinCore)
    }

    @MainActor
    func testAlarmsArePlannedFromTheCoresTimesOnly() async throws {
        let watching = WatchedCheckinView(
            id: "ab12", from: CheckinPersonView(pubkey: "aa", npub: "npub1alice0000000000000", name: nil),
            state: .active, sharedAt: 1, receivedAt: 2, meetAt: nil, deadline: 1_000, alarmAt: 1_300, dueAt: 1_000,
            meeting: alert().meeting, placeName: nil, geohash: nil, clockOffsetSecs: nil,
            clockSkewed: false, closedAt: nil)
        var closed = watching
        closed.alarmAt = nil
        let plan = CheckinAlarms.plan(mine: [], watching: [watching, closed])
        XCTAssertEqual(plan.count, 1, "a closed or alerted check-in has no alarm")
        XCTAssertEqual(plan[0].fireAt, Date(timeIntervalSince1970: 1_300))
        XCTAssertTrue(plan[0].identifier.hasPrefix(CheckinAlarms.prefix))
        XCTAssertEqual(plan[0].titleKey, "Check-in overdue: no word from them")
        XCTAssertEqual(DeepLink.checkin(from: plan[0].deepLink), CheckinRef(from: "aa", id: "ab12"))
    }
}
