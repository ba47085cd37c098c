import Foundation
import XCTest
@testable import FreeportCore

/// The whole product through Swift, as the iOS app calls it: three phones on an embedded
/// loopback relay. Alice posts a request in goods/1; Bob and Nina quote; Alice picks Bob; they
/// meet (Bob shows the QR PNG, Alice scans the image bytes, Bob scans the return code); both
/// rate; Alice and Nina screen Bob.
final class ProductFlowTests: XCTestCase {
    func testPostQuotePickMeetRateScreen() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        XCTAssertTrue(relay.url().hasPrefix("ws://127.0.0.1:"))
        let relays = [relay.url()]
        let alice = try phone("alice", relays: relays)
        let bob = try phone("bob", relays: relays)
        let nina = try phone("nina", relays: relays)
        let phones = [alice, bob, nina]

        let ids = try phones.map { try $0.createIdentity() }
        XCTAssertEqual(bob.identity(), ids[1])
        for p in phones {
            try await p.startNetwork()
            let connected = try await p.waitConnected(timeoutMs: 10_000)
            XCTAssertEqual(connected, 1)
        }
        for (p, name, number) in [(alice, "Alice", "+65 8123 4567"), (bob, "Bob", "+65 9123 4567"),
                                  (nina, "Nina", "9765 4321")] {
            let view = try await p.setProfile(input: ProfileInput(
                name: name, about: nil, phone: number, publishFullNumber: false,
                fullNumberWarningShown: nil, vehicleModel: nil, plate: nil))
            XCTAssertEqual(view.name, name)
            XCTAssertFalse(view.phoneIsFull)
            XCTAssertFalse(view.phonePublished?.contains("9123 4567") ?? true)
        }
        let recorder = Recorder()
        let subscription = alice.subscribe(listener: recorder)

        // Alice posts a request in goods/1.
        let intent = try await alice.postIntent(input: PostIntentInput(
            market: "goods/1", side: .request, title: "Wanted: a city bike, under SGD 150",
            entries: bikeEntries(150), geohash: whereHash, expiresInSecs: 3 * 86_400, powBits: nil))
        XCTAssertEqual(intent.side, .request)
        XCTAssertEqual(intent.actions, [.withdraw])
        XCTAssertTrue(intent.mine)
        let left = try await alice.flushOutbox(timeoutMs: 10_000)
        XCTAssertEqual(left, 0)

        // Bob and Nina find it nearby and counter with their price.
        var negos: [String: String] = [:]
        for (p, name, price) in [(bob, "Bob", 120), (nina, "Nina", 110)] {
            let found = try await p.browse(market: "goods", near: whereHash, radius: 1)
            let hit = try XCTUnwrap(found.first { $0.id == intent.id })
            let deal = try await p.respondCounter(intentId: hit.id, termsJson: bikePayload(price, notes: "\(name)'s bike"))
            XCTAssertEqual(deal.role, .responder)
            XCTAssertEqual(deal.state, .open)
            XCTAssertEqual(deal.actions, [.cancel, .chat], "their own proposal: wait, write or cancel")
            negos[name] = deal.nego
            _ = try await p.flushOutbox(timeoutMs: 10_000)
        }

        // Alice compares the quotes.
        let quotes = try await eventually("both quotes reach Alice") { () -> [QuoteView]? in
            _ = try await alice.sync()
            let q = try alice.quotes(intentId: intent.id)
            return q.count == 2 ? q : nil
        }
        XCTAssertEqual(Set(quotes.map { $0.deal.nego }), Set(negos.values))
        let bobNego = try XCTUnwrap(negos["Bob"])
        let bobQuote = try XCTUnwrap(quotes.first { $0.deal.nego == bobNego })
        XCTAssertTrue(bobQuote.deal.termsJson.contains("\"price\":120"))
        XCTAssertEqual(bobQuote.screening.subject, ids[1].pubkey)
        XCTAssertEqual(bobQuote.deal.actions, [.pick, .counter, .cancel, .chat])

        // Alice picks Bob; both reach `confirmed`; Nina is told it's filled.
        _ = try await alice.pick(nego: bobNego)
        _ = try await alice.flushOutbox(timeoutMs: 10_000)
        let confirmed = try await eventually("Alice and Bob confirmed") { () -> DealView? in
            for p in phones { _ = try await p.sync() }
            let a = try alice.deal(nego: bobNego)
            let b = try bob.deal(nego: bobNego)
            return a.state == .confirmed && b.state == .confirmed ? a : nil
        }
        XCTAssertTrue(confirmed.actions.contains(.showCode))
        XCTAssertNotNil(confirmed.theirContact)
        let ninaNego = try XCTUnwrap(negos["Nina"])
        let ninaDeal = try await eventually("Nina's quote is cancelled") { () -> DealView? in
            _ = try await nina.sync()
            let d = try nina.deal(nego: ninaNego)
            return d.state == .cancelled ? d : nil
        }
        XCTAssertEqual(ninaDeal.cancellation, Cancellation(by: .them, reason: .filled))

        // They meet: Bob shows the code, Alice scans the PNG bytes, Bob scans the return code.
        let code = try bob.meetShow(nego: bobNego, pngPx: 512)
        XCTAssertEqual(Array(code.png.prefix(8)), pngMagic)
        XCTAssertTrue(code.token.hasPrefix("FPM1:"))
        let scanned = try await alice.meetScanImage(bytes: code.png)
        XCTAssertEqual(scanned.state, .met)
        let returnToken = try XCTUnwrap(scanned.returnToken)
        let back = try await bob.meetScanText(text: returnToken)
        XCTAssertEqual(back.state, .met)
        XCTAssertEqual(back.sasWords, scanned.sasWords)
        XCTAssertFalse(scanned.sasWords.isEmpty)
        do {
            _ = try await alice.meetScanImage(bytes: code.png)
            XCTFail("a meet code is single-use")
        } catch let FreeportError.InvalidCode(problem) {
            XCTAssertEqual(problem, .alreadyUsed)
        }
        _ = try await eventually("Alice's listener saw DealMet") { () -> Bool? in
            recorder.events.contains { if case .dealMet(let n) = $0 { return n == bobNego }; return false } ? true : nil
        }
        subscription.cancel()
        XCTAssertFalse(subscription.isActive())

        // Both rate.
        try await alice.rate(nego: bobNego, input: RateRecord(safe: true, reliable: true, score: nil, reachedNumber: true))
        try await bob.rate(nego: bobNego, input: RateRecord(safe: true, reliable: true, score: nil, reachedNumber: true))
        let rated = try alice.deal(nego: bobNego)
        XCTAssertTrue(rated.rated)
        XCTAssertEqual(rated.actions, [.chat, .markCompleted], "rated and met: write, or say it is completed")
        do {
            try await alice.rate(nego: bobNego, input: RateRecord(safe: true, reliable: true, score: nil, reachedNumber: false))
            XCTFail("rated twice")
        } catch let FreeportError.NotPossible(refusal) {
            XCTAssertEqual(refusal, .alreadyRated)
        }
        for p in phones { _ = try await p.flushOutbox(timeoutMs: 10_000) }

        // Screening from each viewer's own position.
        let fromAlice = try await eventually("Alice's screening counts the met deal") { () -> ScreeningView? in
            _ = try await alice.sync()
            let s = try await alice.screen(subject: ids[1].pubkey, explain: true)
            return s.deals >= 1 && s.safety.raters >= 1 ? s : nil
        }
        XCTAssertEqual(fromAlice.deals, 1)
        XCTAssertEqual(fromAlice.path, [ids[0].pubkey, ids[1].pubkey])
        XCTAssertEqual(fromAlice.badge.deals, 1)
        XCTAssertEqual(fromAlice.badge.verdict, fromAlice.verdict)
        let fromNina = try await nina.screen(subject: ids[1].npub, explain: false)
        XCTAssertEqual(fromNina.deals, 1)
        XCTAssertTrue(fromNina.path.isEmpty)

        for p in phones { await p.stopNetwork() }
    }
}
