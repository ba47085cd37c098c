import Foundation
import XCTest
import FreeportCore
@testable import FreeportViewModels

// Linux XCTest quirk (docs/BINDINGS.md): @MainActor goes on each test method, all async.

/// The deal screen's conversation half over the real core: chat, progress stages, the mutual
/// cancel, blocking, and what the core refused from the counterparty. The moves offered are
/// asserted to be exactly the core's actions.
final class ChatTests: XCTestCase {
    /// Two phones online on `relay`.
    @MainActor
    private func twoPhones(_ relay: String) async throws -> (Phone, Phone) {
        let alice = try Phone(name: "alice", relay: relay)
        let bob = try Phone(name: "bob", relay: relay)
        for p in [alice, bob] {
            _ = try p.core.createIdentity()
            try await p.core.startNetwork()
            _ = try await p.core.waitConnected(timeoutMs: 10_000)
        }
        return (alice, bob)
    }

    /// Bob sees Alice's ride `intent`.
    @MainActor
    private func bobSees(_ bob: Phone, _ intent: IntentView) async {
        await eventually("Bob sees the ride") {
            (try? await bob.core.browse(market: rideshare, near: nil, radius: 1))?.contains { $0.id == intent.id } ?? false
        }
    }

    /// Two phones with a confirmed deal (Bob accepted Alice's ride, Alice picked him).
    @MainActor
    private func confirmedDeal(_ relay: String) async throws -> (Phone, Phone, String) {
        let (alice, bob) = try await twoPhones(relay)
        let intent = try await postRide(alice.core)
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await bobSees(bob, intent)
        let deal = try await bob.core.respondAccept(intentId: intent.id)
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Alice has the quote") { (try? alice.core.deal(nego: deal.nego)) != nil }
        _ = try await alice.core.pick(nego: deal.nego)
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Bob confirmed") { (try? bob.core.deal(nego: deal.nego))?.state == .confirmed }
        return (alice, bob, deal.nego)
    }

    @MainActor
    func testChatSendReceiveReadAndRefuseNonText() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let (alice, bob, nego) = try await confirmedDeal(relay.url())
        XCTAssertTrue(try bob.core.deal(nego: nego).actions.contains(.chat), "a confirmed deal offers chat")
        let bobChat = ChatModel(core: bob.core, nego: nego)
        bobChat.draft = "Blue car, plate SBA1234"
        await bobChat.send()
        XCTAssertNil(bobChat.error)
        XCTAssertEqual(bobChat.draft, "")
        XCTAssertEqual(bobChat.messages.map(\.text), ["Blue car, plate SBA1234"])
        XCTAssertTrue(bobChat.messages[0].fromMe)
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)

        await eventually("Alice has an unread message") { (try? alice.core.deal(nego: nego))?.unread == 1 }
        let aliceChat = ChatModel(core: alice.core, nego: nego)
        await aliceChat.refresh()
        XCTAssertTrue(aliceChat.loaded)
        XCTAssertEqual(aliceChat.messages.map(\.text), ["Blue car, plate SBA1234"])
        XCTAssertFalse(aliceChat.messages[0].fromMe)
        XCTAssertEqual(try alice.core.deal(nego: nego).unread, 0, "showing the thread marks it read")

        // Not text: the core's rule on the field, nothing sent, the draft kept.
        aliceChat.draft = "   "
        await aliceChat.send()
        XCTAssertEqual(aliceChat.error?.kind, .invalidInput)
        XCTAssertEqual(aliceChat.error?.violations.map(\.rule), [.blank])
        XCTAssertEqual(aliceChat.draft, "   ")
        XCTAssertEqual(try alice.core.chat(nego: nego).count, 1)
    }

    @MainActor
    func testStagesAndTheMutualCancelAreTheCoresActions() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let (alice, bob, nego) = try await confirmedDeal(relay.url())
        let aliceDeal = NegotiationModel(core: alice.core, nego: nego)
        let bobDeal = NegotiationModel(core: bob.core, nego: nego)
        await aliceDeal.refresh()
        await bobDeal.refresh()
        XCTAssertEqual(bobDeal.actions, [.cancel, .requestCancel, .showCode, .scanCode, .rate, .chat, .markPickedUp, .markCompleted])

        // Picked up: reported to Alice; a stage only advances, so it is not offered again.
        await bobDeal.markPickedUp()
        XCTAssertNil(bobDeal.error)
        XCTAssertEqual(bobDeal.deal?.stage, .pickedUp)
        XCTAssertFalse(bobDeal.offers(.markPickedUp))
        XCTAssertTrue(bobDeal.offers(.markCompleted))
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Alice sees the stage") {
            await aliceDeal.refresh()
            return aliceDeal.deal?.stage == .pickedUp
        }

        // Alice asks to cancel; Bob is offered agree and decline, and no meet code meanwhile.
        aliceDeal.cancelReason = "rain"
        await aliceDeal.requestCancel()
        XCTAssertEqual(aliceDeal.deal?.state, .cancelRequestedByUs, "\(String(describing: aliceDeal.error))")
        XCTAssertFalse(aliceDeal.offers(.requestCancel))
        XCTAssertEqual(aliceDeal.cancelReason, "")
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Bob is asked") {
            await bobDeal.refresh()
            return bobDeal.deal?.state == .cancelRequestedByThem
        }
        XCTAssertTrue(bobDeal.offers(.agreeCancel) && bobDeal.offers(.declineCancel), "\(bobDeal.actions)")
        XCTAssertFalse(bobDeal.offers(.showCode))
        await bobDeal.declineCancel()
        XCTAssertEqual(bobDeal.deal?.state, .confirmed)
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Alice sees the decline") {
            await aliceDeal.refresh()
            return aliceDeal.deal?.state == .confirmed
        }

        // Completed: nothing offered that would reverse it.
        await aliceDeal.markCompleted()
        XCTAssertEqual(aliceDeal.deal?.stage, .completed, "\(String(describing: aliceDeal.error))")
        XCTAssertFalse(aliceDeal.offers(.markCompleted) || aliceDeal.offers(.markPickedUp), "\(aliceDeal.actions)")
    }

    @MainActor
    func testBlockingFromTheDealDropsTheirMessagesAndStopsChat() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let (alice, bob, nego) = try await confirmedDeal(relay.url())
        let aliceDeal = NegotiationModel(core: alice.core, nego: nego)
        let aliceChat = ChatModel(core: alice.core, nego: nego)
        await aliceDeal.refresh()
        await aliceChat.refresh()
        XCTAssertTrue(aliceDeal.offers(.chat))
        await aliceDeal.setBlocked(true)
        XCTAssertEqual(aliceDeal.deal?.counterpartyBlocked, true, "\(String(describing: aliceDeal.error))")
        XCTAssertFalse(aliceDeal.offers(.chat), "no chat with a blocked key")

        _ = try await bob.core.chatSend(nego: nego, text: "are you there?")
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)
        _ = try await alice.core.sync()
        XCTAssertTrue(try alice.core.chat(nego: nego).isEmpty, "dropped")
        XCTAssertTrue(try alice.core.refusals(nego: nego).isEmpty, "silently")
        aliceChat.draft = "hello?"
        await aliceChat.send()
        XCTAssertEqual(aliceChat.error?.kind, .notPossible, "nothing is sent to a blocked key")
        XCTAssertEqual(try alice.core.blocked().map(\.npub), [aliceDeal.deal?.counterpartyNpub])

        await aliceDeal.setBlocked(false)
        XCTAssertEqual(aliceDeal.deal?.counterpartyBlocked, false)
        XCTAssertTrue(aliceDeal.offers(.chat))
        XCTAssertTrue(try alice.core.blocked().isEmpty)
    }

    @MainActor
    func testWhatTheCoreRefusedFromThemIsOnTheDeal() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let (alice, bob) = try await twoPhones(relay.url())
        let intent = try await postRide(alice.core)
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await bobSees(bob, intent)
        let opened = try await bob.core.respondCounterForm(intentId: intent.id, entries: [termEntry("payment", "SGD 8")])
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)
        let aliceDeal = NegotiationModel(core: alice.core, nego: opened.nego)
        await eventually("Alice has Bob's quote") {
            await aliceDeal.refresh()
            return aliceDeal.offers(.counter)
        }
        aliceDeal.draft["/payment"] = "SGD 9"
        await aliceDeal.counter()
        XCTAssertNil(aliceDeal.error)
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Bob's turn") { (try? bob.core.deal(nego: opened.nego))?.actions.contains(.counter) == true }

        // Their moves cross: Bob counters offline while Alice cancels. When his counter arrives
        // the deal is closed: Alice's core refuses it once, with its code; nothing else changes.
        try await bob.core.stopNetwork()
        _ = try await bob.core.counterForm(nego: opened.nego, entries: [termEntry("payment", "SGD 8.50")])
        await aliceDeal.cancel()
        XCTAssertEqual(aliceDeal.deal?.state, .cancelled)
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        try await bob.core.startNetwork()
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Alice's deal lists the refusal") {
            await aliceDeal.refresh()
            return !aliceDeal.refusals.isEmpty
        }
        XCTAssertEqual(aliceDeal.deal?.state, .cancelled)
        XCTAssertEqual(aliceDeal.refusals.map(\.code), [.closed])
        XCTAssertEqual(aliceDeal.refusals.first?.nego, opened.nego)
        XCTAssertEqual(aliceDeal.deal?.refused, 1)
    }
}
