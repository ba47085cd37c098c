import Foundation
import XCTest
import FreeportCore
@testable import FreeportViewModels

/// Records what it would post; can die after posting (an app killed mid-way).
final class RecordingPoster: NoticePoster, @unchecked Sendable {
    private let lock = NSLock()
    private var items: [NoticeContent] = []
    var dieAfterPost = false
    var allowed = true

    var posted: [NoticeContent] { lock.withLock { items } }

    struct Killed: Error {}

    func post(_ content: NoticeContent) async throws -> Bool {
        guard allowed else { return false }
        lock.withLock { items.append(content) }
        if dieAfterPost { throw Killed() }
        return true
    }
}

/// The iOS side of background notices, on Linux: the notice → notification mapping (titles,
/// grouping per deal, categories, deep links) and the refresh task's protocol over real cores.
final class NoticeTests: XCTestCase {
    private func notice(_ kind: NoticeKind, channel: NoticeChannel = .deals, nego: String? = "n1") -> Notice {
        Notice(
            id: 42, kind: kind, channel: channel, createdAt: 1_700_000_000,
            deal: nego.map { NoticeDeal(nego: $0, intentId: "i1", intentTitle: "Bike", market: "sg-goods") }
        )
    }

    func testEveryKindHasATitleAGroupAndADeepLink() {
        let kinds: [NoticeKind] = [
            .newQuote(acceptedAsPosted: true), .newQuote(acceptedAsPosted: false), .counter, .accepted,
            .confirmed, .cancelRequested, .chatMessage, .cancelled, .filled, .meet(step: .scannedYourCode),
            .meet(step: .recordedOnTheirPhone), .ratingReceived(safe: true, reliable: nil),
        ]
        let titles = kinds.map { NoticeMapping.content(for: notice($0)).titleKey }
        XCTAssertEqual(Set(titles).count, kinds.count, "each kind has its own words")
        let c = NoticeMapping.content(for: notice(.counter, nego: "abc:def:123"))
        XCTAssertEqual(c.identifier, "notice-42")
        XCTAssertEqual(c.threadIdentifier, "deal:abc:def:123")
        XCTAssertEqual(c.categoryIdentifier, "deals")
        XCTAssertEqual(c.body, "Bike")
        XCTAssertFalse(c.timeSensitive)
        XCTAssertEqual(c.deepLink.flatMap(DeepLink.nego(from:)), "abc:def:123")
        XCTAssertEqual(c.date, Date(timeIntervalSince1970: 1_700_000_000))
        XCTAssertEqual(NoticeMapping.content(for: notice(.ratingReceived(safe: nil, reliable: nil), channel: .ratings)).categoryIdentifier, "ratings")
        let safety = NoticeMapping.content(for: notice(.confirmed, channel: .safety))
        XCTAssertTrue(safety.timeSensitive, "safety alerts break through Focus")
        XCTAssertEqual(safety.categoryIdentifier, "safety")
        let noDeal = NoticeMapping.content(for: notice(.confirmed, nego: nil))
        XCTAssertNil(noDeal.deepLink)
        XCTAssertNil(DeepLink.nego(from: URL(string: "https://example.com/deal/x")!))
        XCTAssertNil(DeepLink.nego(from: URL(string: "freeport://deal/")!))
    }

    @MainActor
    func testTheRefreshTaskPostsEachNoticeOnceAndAgainOnlyIfKilledBeforeAcknowledging() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let alice = try Phone(name: "alice", relay: relay.url())
        let bob = try Phone(name: "bob", relay: relay.url())
        _ = try alice.core.createIdentity()
        _ = try bob.core.createIdentity()
        // Alice posts, then her app is closed: only background refreshes run.
        try await alice.core.startNetwork()
        let intent = try await postRide(alice.core)
        _ = try await alice.core.flushOutbox(timeoutMs: 10_000)
        await alice.core.stopNetwork()

        try await bob.core.startNetwork()
        await eventually("Bob sees the ride") {
            (try? await bob.core.browse(market: rideshare, near: nil, radius: 0))?.contains { $0.id == intent.id } ?? false
        }
        let deal = try await bob.core.respondCounter(intentId: intent.id, termsJson: #"{"payment":"SGD 12"}"#)
        _ = try await bob.core.flushOutbox(timeoutMs: 10_000)

        let poster = RecordingPoster()
        poster.dieAfterPost = true
        do {
            _ = try await BackgroundRefresh.run(core: alice.core, poster: poster)
            XCTFail("the poster dies after posting")
        } catch is RecordingPoster.Killed {}
        let first = try XCTUnwrap(poster.posted.first)
        XCTAssertEqual(first.titleKey, "New quote with other terms")
        XCTAssertEqual(first.threadIdentifier, "deal:\(deal.nego)")
        XCTAssertEqual(first.body, "Seat to the airport")
        XCTAssertEqual(first.deepLink.flatMap(DeepLink.nego(from:)), deal.nego)

        poster.dieAfterPost = false
        let run = try await BackgroundRefresh.run(core: alice.core, poster: poster)
        XCTAssertEqual(run.outcome, .complete)
        XCTAssertEqual(run.posted, 1)
        XCTAssertEqual(poster.posted.map(\.identifier), [first.identifier, first.identifier], "same notification, replaced")
        let again = try await BackgroundRefresh.run(core: alice.core, poster: poster)
        XCTAssertEqual(again.posted, 0, "nothing twice")
        XCTAssertEqual(poster.posted.count, 2)
        await bob.core.stopNetwork()
    }

    @MainActor
    func testATappedNotificationsLinkOpensItsDeal() async throws {
        let phone = try Phone(name: "dave", relay: nil)
        let app = AppModel(core: phone.core)
        app.open(DeepLink.deal("a1:b2:c3"))
        XCTAssertEqual(app.requestedDeal, "a1:b2:c3")
        app.requestedDeal = nil
        app.open(try XCTUnwrap(URL(string: "https://example.com/deal/x")))
        XCTAssertNil(app.requestedDeal, "other links open nothing")
    }

    @MainActor
    func testSettingsSwitchChannelsThroughTheCore() async throws {
        let phone = try Phone(name: "carol", relay: nil)
        _ = try phone.core.createIdentity()
        let model = SettingsModel(core: phone.core) {}
        await model.refresh()
        XCTAssertEqual(model.notices, NoticeSettings(deals: true, ratings: true, safety: true))
        await model.setNotices(.ratings, on: false)
        XCTAssertEqual(model.notices?.ratings, false)
        XCTAssertEqual(try phone.core.noticeSettings().ratings, false, "kept by the core")
        XCTAssertEqual(try phone.core.noticeSettings().deals, true)
    }
}
