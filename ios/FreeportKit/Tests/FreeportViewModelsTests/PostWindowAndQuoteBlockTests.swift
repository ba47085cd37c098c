import Foundation
import XCTest
import FreeportCore
@testable import FreeportViewModels

// Issue 22, items 3 and 4 on the post form and the quotes: a post's time window and flexibility
// go to the core, which judges them; blocking from a quote card is the core's block.

final class PostWindowTests: XCTestCase {
    @MainActor
    func testAWindowAndFlexGoToTheCoreWhichJudgesTheWindowUnderItsEnd() async throws {
        let phone = try Phone(name: "poster", relay: nil)
        _ = try phone.core.createIdentity()
        let ride = try XCTUnwrap(phone.core.markets().first { $0.topic == rideshare })
        let form = PostIntentModel(core: phone.core, market: ride)
        form.powBits = 0
        form.title = "Airport run, flexible"
        form.entries["/from"] = FieldEntry(text: "Raffles Place", geohash: "w21z7")
        form.entries["/to"] = FieldEntry(text: "Changi Airport", geohash: "w21zg")

        // A window starts at the next full hour of the calendar's zone, for an hour.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try XCTUnwrap(TimeZone(identifier: "Asia/Singapore"))
        let inTenDays = try XCTUnwrap(calendar.date(byAdding: .day, value: 10, to: Date()))
        let morning = try XCTUnwrap(calendar.date(bySettingHour: 8, minute: 15, second: 0, of: inTenDays))
        form.addWindow(now: morning, calendar: calendar)
        let w0 = try XCTUnwrap(form.window)
        XCTAssertEqual(calendar.dateComponents([.hour, .minute], from: w0.start), DateComponents(hour: 9, minute: 0))
        XCTAssertEqual(w0.end.timeIntervalSince(w0.start), 3_600)

        // Moving the start by a day takes the end along; moving the end moves only the end.
        form.setWindowStart(w0.start.addingTimeInterval(86_400))
        XCTAssertEqual(form.window?.end, w0.end.addingTimeInterval(86_400))
        form.setWindowEnd(w0.start.addingTimeInterval(86_400 + 5_400))
        XCTAssertEqual(form.window.map { $0.end.timeIntervalSince($0.start) }, 5_400)

        // The end picked a day before the start: the core's rule, under the end; nothing posted.
        form.setWindowEnd(w0.start)
        form.flexMinutes = 30
        await form.submit()
        XCTAssertNil(form.posted, "\(String(describing: form.error))")
        XCTAssertNil(form.error, "input problems are not a general error")
        XCTAssertEqual(form.problems(for: "window_end").map(\.rule), [.endBeforeStart])
        XCTAssertEqual(Array(form.violations.keys), ["window_end"], "only the window is wrong: \(form.violations)")
        form.setWindowEnd(w0.end.addingTimeInterval(86_400))
        XCTAssertEqual(form.problems(for: "window_end"), [], "moving an end clears the core's word on it")

        // A window that is already over.
        form.addWindow(now: Date().addingTimeInterval(-3 * 86_400), calendar: calendar)
        await form.submit()
        XCTAssertEqual(form.problems(for: "window_end").map(\.rule), [.inThePast])

        // Removing the time takes its flexibility and the core's word on it along.
        form.removeWindow()
        XCTAssertNil(form.window)
        XCTAssertNil(form.flexMinutes)
        XCTAssertEqual(form.problems(for: "window_end"), [])

        // A good window with flexibility is posted as the reference reads it.
        form.addWindow(now: morning, calendar: calendar)
        form.flexMinutes = 30
        let window = try XCTUnwrap(form.window)
        await form.submit()
        let posted = try XCTUnwrap(form.posted, "\(String(describing: form.error)) \(form.violations)")
        XCTAssertEqual(posted.windowStart, UInt64(window.start.timeIntervalSince1970))
        XCTAssertEqual(posted.windowEnd, UInt64(window.end.timeIntervalSince1970))
        XCTAssertEqual(posted.flexMinutes, 30)
    }
}

final class QuoteBlockTests: XCTestCase {
    @MainActor
    func testBlockingFromAQuoteCardHidesTheirQuotesAndUnblockingRestores() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let alice = try Phone(name: "alice", relay: relay.url())
        let bob = try Phone(name: "bob", relay: relay.url())
        let carol = try Phone(name: "carol", relay: relay.url())
        for p in [alice, bob, carol] {
            _ = try p.core.createIdentity()
            try await p.core.startNetwork()
            _ = try await p.core.waitConnected(timeoutMs: 10_000)
        }
        let intent = try await postRide(alice.core, title: "Two riders")
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        var negos: [String: String] = [:]
        for (name, p) in [("bob", bob), ("carol", carol)] {
            await eventually("\(name) sees the ride") {
                (try? await p.core.browse(market: rideshare, near: nil, radius: 1))?.contains { $0.id == intent.id } ?? false
            }
            negos[name] = try await p.core.respondAccept(intentId: intent.id).nego
            _ = try await p.core.flushOutbox(timeoutMs: 10_000)
        }
        let bobNego = try XCTUnwrap(negos["bob"]), carolNego = try XCTUnwrap(negos["carol"])

        let quotes = QuotesModel(core: alice.core, intentId: intent.id)
        await eventually("Alice has both quotes") {
            await quotes.refresh()
            return Set(quotes.quotes.map(\.deal.nego)) == [bobNego, carolNego]
        }

        await quotes.block(bobNego)
        XCTAssertNil(quotes.error, "\(String(describing: quotes.error))")
        XCTAssertFalse(quotes.busy)
        XCTAssertEqual(quotes.quotes.map(\.deal.nego), [carolNego], "the core leaves the blocked key's quote out")
        XCTAssertEqual(quotes.pickable.map(\.deal.nego), [carolNego])
        let bobNpub = try XCTUnwrap(bob.core.identity()?.npub)
        XCTAssertEqual(try alice.core.blocked().map(\.npub), [bobNpub])
        // The same block as the deal screen's: the thread says so, and offers no chat.
        let bobThread = try alice.core.deal(nego: bobNego)
        XCTAssertTrue(bobThread.counterpartyBlocked)
        XCTAssertFalse(bobThread.actions.contains(.chat))

        // Unblocking (Settings) brings the quote back.
        _ = try alice.core.unblock(key: bobNpub)
        await quotes.refresh()
        XCTAssertEqual(Set(quotes.quotes.map(\.deal.nego)), [bobNego, carolNego])
    }
}
