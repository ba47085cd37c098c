import Foundation
import XCTest
import FreeportCore
@testable import FreeportViewModels

// Linux XCTest quirk (docs/BINDINGS.md): @MainActor goes on each test method, all async.

/// The chat thread on a deal screen, progress, mutual cancel and blocking, over the real core.
final class ChatTests: XCTestCase {
    /// Two phones with a confirmed deal (Bob accepted Alice's ride, Alice picked him).
    @MainActor
    private func confirmedDeal(_ relay: String) async throws -> (Phone, Phone, String) {
        let alice = try Phone(name: "alice", relay: relay)
        let bob = try Phone(name: "bob", relay: relay)
        for p in [alice, bob] {
            _ = try p.core.createIdentity()
            try await p.core.startNetwork()
            _ = try await p.core.waitConnected(timeoutMs: 10_000)
        }
        let intent = try await postRide(alice.core)
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Bob sees the ride") {
            (try? await bob.core.browse(market: rideshare, near: nil, radius: 1))?.contains { $0.id == intent.id } ?? false
        }
        let deal = try await bob.core.respondAccept(intentId: intent.id)
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Alice has the quote") { (try? alice.core.deal(nego: deal.nego)) != nil }
        _ = try await alice.core.pick(nego: deal.nego)
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Bob confirmed") { (try? bob.core.deal(nego: deal.nego))?.state == "confirmed" }
        return (alice, bob, deal.nego)
    }

    @MainActor
    func testChatSendReceiveReadAndRefuseNonText() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let (alice, bob, nego) = try await confirmedDeal(relay.url())
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
        XCTAssertEqual(aliceChat.messages.map(\.text), ["Blue car, plate SBA1234"])
        XCTAssertFalse(aliceChat.messages[0].fromMe)
        XCTAssertEqual(try alice.core.deal(nego: nego).unread, 0, "showing the thread marks it read")

        aliceChat.draft = "   "
        await aliceChat.send()
        XCTAssertEqual(aliceChat.error?.field, "text", "the core refuses what is not text")
        XCTAssertEqual(try alice.core.chat(nego: nego).count, 1)

        // Progress and the mutual cancel.
        await bobChat.mark(.pickedUp)
        XCTAssertEqual(bobChat.deal?.stage, .pickedUp)
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Alice sees the stage") { (try? alice.core.deal(nego: nego))?.stage == .pickedUp }
        await aliceChat.requestCancel(reason: "rain")
        XCTAssertEqual(aliceChat.deal?.state, "cancel_requested")
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await eventually("Bob is asked") { (try? bob.core.deal(nego: nego))?.cancelRequestedByThem == true }
        await bobChat.refresh()
        await bobChat.answerCancel(agree: false)
        XCTAssertEqual(bobChat.deal?.state, "confirmed")
    }

    @MainActor
    func testBlockingFromTheDealDropsTheirMessages() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let (alice, bob, nego) = try await confirmedDeal(relay.url())
        let aliceChat = ChatModel(core: alice.core, nego: nego)
        await aliceChat.refresh()
        await aliceChat.setBlocked(true)
        XCTAssertEqual(aliceChat.deal?.counterpartyBlocked, true)
        _ = try await bob.core.chatSend(nego: nego, text: "are you there?")
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)
        _ = try await alice.core.sync()
        XCTAssertTrue(try alice.core.chat(nego: nego).isEmpty, "dropped")
        XCTAssertTrue(try alice.core.refusals(nego: nego).isEmpty, "silently")
        aliceChat.draft = "hello?"
        await aliceChat.send()
        XCTAssertNotNil(aliceChat.error, "nothing is sent to a blocked key")
        await aliceChat.setBlocked(false)
        XCTAssertEqual(aliceChat.deal?.counterpartyBlocked, false)
    }
}
