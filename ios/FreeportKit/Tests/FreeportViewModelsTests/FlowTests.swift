import Foundation
import XCTest
import FreeportCore
@testable import FreeportViewModels

// Linux XCTest quirk (docs/BINDINGS.md): @MainActor goes on each test method, all async.

/// Two people, one embedded relay, every screen of a deal in the order a user meets them.
final class DealFlowTests: XCTestCase {
    @MainActor
    func testPostBrowseRespondPickMeetRateScreen() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let alice = try Phone(name: "alice", relay: relay.url())
        let bob = try Phone(name: "bob", relay: relay.url())

        // Onboarding + going online, through the root model.
        let aliceApp = AppModel(core: alice.core)
        await aliceApp.start()
        XCTAssertEqual(aliceApp.phase, .onboarding)
        let aliceOnboarding = OnboardingModel(core: alice.core)
        await aliceOnboarding.create()
        guard case let .backupPrompt(aliceId) = aliceOnboarding.step else { return XCTFail("\(aliceOnboarding.step)") }
        aliceOnboarding.finish()
        await aliceApp.identityReady(aliceId)
        XCTAssertTrue(aliceApp.online, "\(String(describing: aliceApp.networkError))")
        let bobApp = AppModel(core: bob.core)
        let bobOnboarding = OnboardingModel(core: bob.core)
        await bobOnboarding.create()
        bobOnboarding.finish()
        guard case let .done(bobId) = bobOnboarding.step else { return XCTFail("\(bobOnboarding.step)") }
        await bobApp.identityReady(bobId)

        // Alice posts a ride.
        let intent = try await postRide(alice.core)
        XCTAssertTrue(intent.mine)
        XCTAssertEqual(intent.market, rideshare)

        // Bob browses near him and finds it, with Alice's badge.
        let browse = BrowseModel(core: bob.core)
        await browse.loadMarkets()
        browse.market = rideshare
        browse.useLocation(latitude: sgLat, longitude: sgLon)
        XCTAssertEqual(browse.area?.count, 5)
        await eventually("Bob sees Alice's intent") {
            await browse.refresh()
            return browse.intents.contains { $0.id == intent.id }
        }
        let seen = try XCTUnwrap(browse.intents.first { $0.id == intent.id })
        XCTAssertFalse(seen.mine)
        XCTAssertEqual(seen.authorNpub, aliceId.npub)
        XCTAssertEqual(seen.badge?.deals, 0)
        XCTAssertEqual(seen.actions, [.accept, .counter])

        // Bob opens it, screens Alice, and accepts as posted.
        let detail = IntentDetailModel(core: bob.core, intent: seen)
        // The core typed the payload: the payment is money, the place a place, with the form's labels.
        let payment = try XCTUnwrap(seen.terms.first { $0.path == "/payment" })
        XCTAssertEqual(payment.value, .money(amount: "15", currency: "SGD"))
        XCTAssertEqual(payment.label, "Payment")
        XCTAssertEqual(payment.editText, "SGD 15")
        XCTAssertEqual(detail.rows.first { $0.path == "/from" }?.text, "Raffles Place")
        XCTAssertEqual(detail.rows.first { $0.path == "/from" }?.label, "From")
        await detail.loadScreening()
        XCTAssertEqual(detail.screening?.subjectNpub, aliceId.npub)
        await detail.acceptAsPosted()
        let bobDeal = try XCTUnwrap(detail.deal, "\(String(describing: detail.error))")
        XCTAssertEqual(bobDeal.role, .responder)
        XCTAssertEqual(bobDeal.actions, [.cancel, .chat], "accepted: wait, write or cancel")
        XCTAssertNil(bobDeal.theirContact, "no contact before the deal is confirmed")
        XCTAssertFalse(detail.canRespond, "one thread per intent")

        // Alice's quotes screen shows Bob's quote with his screening card; the listener fired.
        let quotes = QuotesModel(core: alice.core, intentId: intent.id)
        await eventually("Alice receives Bob's quote") {
            await quotes.refresh()
            return quotes.quotes.count == 1
        }
        XCTAssertGreaterThan(aliceApp.dealsRevision, 0, "the event listener reached the root model")
        let quote = try XCTUnwrap(quotes.pickable.first)
        XCTAssertEqual(quote.deal.actions, [.pick, .cancel, .chat], "the owner picks; it never plain-accepts")
        XCTAssertEqual(quote.deal.nego, bobDeal.nego)
        XCTAssertEqual(quote.screening.subjectNpub, bobId.npub)

        // Alice picks: confirmed on her side at once, Bob's contact revealed to her.
        await quotes.pick(quote.deal.nego)
        let picked = try XCTUnwrap(quotes.picked, "\(String(describing: quotes.error))")
        XCTAssertEqual(picked.state, .confirmed)
        XCTAssertNotNil(picked.theirContact)
        XCTAssertEqual(picked.actions, [.cancel, .requestCancel, .showCode, .scanCode, .rate, .chat, .markPickedUp, .markCompleted])
        XCTAssertTrue(quotes.pickable.isEmpty, "one pick per intent")

        // Screening from a deal: Alice checks the person she picked (no key typed).
        let fromDeal = ScreenModel(core: alice.core)
        await fromDeal.screen(subject: picked.counterparty, explain: false)
        XCTAssertEqual(fromDeal.card?.subject, bobId.pubkey, "\(String(describing: fromDeal.error))")
        XCTAssertEqual(fromDeal.card?.subjectNpub, picked.counterpartyNpub)

        // Bob's negotiation screen follows to confirmed and reveals Alice's contact.
        let bobThread = NegotiationModel(core: bob.core, nego: bobDeal.nego)
        await eventually("Bob sees the deal confirmed") {
            await bobThread.refresh()
            return bobThread.deal?.state == .confirmed
        }
        XCTAssertNotNil(bobThread.contact)
        // The buttons are exactly the core's actions: no accept or counter once confirmed.
        XCTAssertEqual(bobThread.actions, [.cancel, .requestCancel, .showCode, .scanCode, .rate, .chat, .markPickedUp, .markCompleted])
        let deals = DealsModel(core: bob.core)
        await deals.refresh()
        XCTAssertEqual(deals.needsAttention.map(\.nego), [bobDeal.nego], "a confirmed deal waits for the meeting")

        // Meetup: Alice shows, Bob scans, Bob shows the return code back, Alice scans it.
        let show = MeetShowModel(core: alice.core, nego: picked.nego, pngPixels: 300)
        await show.refresh()
        let code = try XCTUnwrap(show.code, "\(String(describing: show.error))")
        XCTAssertTrue(code.token.hasPrefix("FPM1:"), code.token)
        XCTAssertFalse(code.png.isEmpty)
        let scan = MeetScanModel(core: bob.core)
        await scan.scan(text: code.token)
        let bobMet = try XCTUnwrap(scan.result, "\(String(describing: scan.hint))")
        XCTAssertFalse(scan.scanning)
        XCTAssertEqual(bobMet.outcome.state, .met)
        XCTAssertFalse(bobMet.outcome.sasWords.isEmpty)
        let back = try XCTUnwrap(bobMet.outcome.returnToken)
        await show.scanReturn(text: "not a code")
        XCTAssertNil(show.result)
        XCTAssertNotNil(show.returnScanner.hint, "a wrong return code is explained, the camera keeps going")
        await show.scanReturn(text: back)
        let aliceMet = try XCTUnwrap(show.result, "\(String(describing: show.error))")
        XCTAssertEqual(aliceMet.outcome.sasWords, bobMet.outcome.sasWords, "both phones show the same words")
        XCTAssertEqual(aliceMet.outcome.state, .met)
        show.confirmWordsMatch()
        XCTAssertEqual(show.result?.confirmed, true)
        await show.tick()
        XCTAssertEqual(show.rotations, 1, "no rotation once met")

        // The same code scanned again (a replay) is refused and changes nothing.
        let replay = MeetScanModel(core: bob.core)
        await replay.scan(text: code.token)
        XCTAssertNil(replay.result)
        XCTAssertNotNil(replay.hint)

        // Both rate. A score out of range is the core's refusal, on its field, and rates nothing.
        let outOfRange = RateModel(core: alice.core, nego: picked.nego)
        outOfRange.safe = true
        outOfRange.reliable = true
        outOfRange.score = 5
        await outOfRange.submit()
        XCTAssertFalse(outOfRange.done)
        XCTAssertEqual(outOfRange.error?.field, "score")
        XCTAssertEqual(outOfRange.error?.rules(on: "score"), [.aboveMaximum(max: 2)])
        let aliceRate = RateModel(core: alice.core, nego: picked.nego)
        XCTAssertFalse(aliceRate.canSubmit)
        aliceRate.safe = true
        XCTAssertFalse(aliceRate.canSubmit, "both questions must be answered")
        aliceRate.reliable = true
        aliceRate.reachedNumber = false
        await aliceRate.submit()
        XCTAssertTrue(aliceRate.done, "\(String(describing: aliceRate.error))")
        let rated = try alice.core.deal(nego: picked.nego)
        XCTAssertTrue(rated.rated)
        XCTAssertFalse(rated.actions.contains(.rate), "the deal no longer asks for a rating")
        // One rating per deal: a second one is refused with its code.
        let again = RateModel(core: alice.core, nego: picked.nego)
        again.safe = true
        again.reliable = false
        await again.submit()
        XCTAssertEqual(again.error?.refusal, .alreadyRated)
        let bobRate = RateModel(core: bob.core, nego: picked.nego)
        bobRate.safe = true
        bobRate.reliable = true
        bobRate.score = RateModel.scores.last
        await bobRate.submit()
        XCTAssertTrue(bobRate.done, "\(String(describing: bobRate.error))")

        // Bob screens Alice from his position: one proven deal, one partner (him), path to her.
        let screen = ScreenModel(core: bob.core)
        screen.input = "nostr:\(aliceId.npub)"
        await screen.screen()
        XCTAssertNil(screen.keyProblem)
        let card = try XCTUnwrap(screen.card, "\(String(describing: screen.error))")
        XCTAssertEqual(card.subjectNpub, aliceId.npub)
        XCTAssertEqual(card.deals, 1)
        XCTAssertEqual(card.partners, 1)
        XCTAssertEqual(screen.path.first?.pubkey, bobId.pubkey)
        XCTAssertEqual(screen.path.last?.pubkey, aliceId.pubkey)
    }

    @MainActor
    func testCounterThenAcceptRevealsContactsOnlyWhenConfirmed() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let alice = try Phone(name: "alice", relay: relay.url())
        let bob = try Phone(name: "bob", relay: relay.url())
        for p in [alice, bob] {
            _ = try p.core.createIdentity()
            try await p.core.startNetwork()
        }
        let intent = try await postRide(alice.core, payment: "SGD 20")
        let browse = BrowseModel(core: bob.core)
        browse.market = rideshare
        await eventually("Bob sees the intent") {
            await browse.refresh()
            return browse.intents.contains { $0.id == intent.id }
        }
        let detail = IntentDetailModel(core: bob.core, intent: try XCTUnwrap(browse.intents.first { $0.id == intent.id }))
        await detail.propose(["payment": "SGD 12"])
        let opened = try XCTUnwrap(detail.deal, "\(String(describing: detail.error))")
        XCTAssertEqual(opened.state, .open)
        XCTAssertEqual(opened.proposedBy, .us)
        XCTAssertEqual(opened.terms.first { $0.path == "/payment" }?.value, .money(amount: "12", currency: "SGD"))

        // Alice sees the counter as a proposal from them, with the rounds left.
        let thread = NegotiationModel(core: alice.core, nego: opened.nego)
        await eventually("Alice receives the counter") {
            await thread.refresh()
            return thread.deal != nil
        }
        XCTAssertEqual(thread.deal?.proposedBy, .them)
        XCTAssertEqual(thread.terms.first { $0.path == "/payment" }?.editText, "SGD 12")
        XCTAssertEqual(thread.actions, [.pick, .counter, .cancel, .chat])
        XCTAssertNil(thread.contact)
        let rounds = try XCTUnwrap(thread.deal?.roundsLeft)

        // Alice counters back at SGD 15: a round is used, and Bob now sees her proposal.
        thread.draft["/payment"] = "SGD 15"
        await thread.counter()
        XCTAssertNil(thread.error, "\(String(describing: thread.error))")
        XCTAssertEqual(thread.deal?.proposedBy, .us)
        XCTAssertEqual(thread.terms.first { $0.path == "/payment" }?.editText, "SGD 15")
        XCTAssertEqual(thread.actions, [.cancel, .chat], "nothing to accept or counter on our own proposal")
        XCTAssertLessThan(try XCTUnwrap(thread.deal?.roundsLeft), rounds)

        let bobThread = NegotiationModel(core: bob.core, nego: opened.nego)
        await eventually("Bob receives Alice's counter") {
            await bobThread.refresh()
            return bobThread.deal?.proposedBy == .them
        }
        XCTAssertNil(bobThread.contact)
        await bobThread.accept()
        XCTAssertNil(bobThread.error, "\(String(describing: bobThread.error))")
        XCTAssertNil(bobThread.contact, "accepting alone reveals nothing to us")

        // Alice accepts Bob's acceptance of her terms: confirmed, contacts on both sides.
        await eventually("Alice sees Bob's accept") {
            await thread.refresh()
            return thread.deal?.state == .acceptedByThem
        }
        // They accepted our own terms: the owner confirms by picking (no counter on our terms).
        XCTAssertEqual(thread.actions, [.pick, .cancel, .chat])
        await thread.accept()
        XCTAssertEqual(thread.deal?.state, .acceptedByThem, "accept is not offered to the owner: nothing happens")
        await thread.pick()
        XCTAssertEqual(thread.deal?.state, .confirmed, "\(String(describing: thread.error))")
        XCTAssertNotNil(thread.contact)
        await eventually("Bob sees the confirmation") {
            await bobThread.refresh()
            return bobThread.deal?.state == .confirmed
        }
        XCTAssertNotNil(bobThread.contact)

        // Bob cancels with a reason; Alice's thread follows.
        bobThread.cancelReason = "  Car broke down "
        await bobThread.cancel()
        XCTAssertNil(bobThread.error, "\(String(describing: bobThread.error))")
        XCTAssertEqual(bobThread.deal?.state, .cancelled)
        XCTAssertEqual(bobThread.deal?.cancellation, Cancellation(by: .us, reason: .said(text: "Car broke down")))
        XCTAssertEqual(bobThread.actions, [])
    }
}
