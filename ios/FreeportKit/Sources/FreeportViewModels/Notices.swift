import Foundation
import FreeportCore

/// How a notice becomes a local notification (`UNNotificationRequest`), decided here so it is
/// tested on Linux; the app only copies these fields into `UNMutableNotificationContent`.
public struct NoticeContent: Equatable, Sendable {
    /// Request identifier: the same notice always has the same one (posting again replaces).
    public let identifier: String
    /// Localization key of the title (a key of the app's `Localizable.xcstrings`).
    public let titleKey: String
    /// The body: the intent's title, or nil for the catalog's "A deal".
    public let body: String?
    /// Groups one deal's notifications together (`threadIdentifier`).
    public let threadIdentifier: String
    /// The category: one per channel (`deals`, `ratings`, `safety`).
    public let categoryIdentifier: String
    /// Safety alerts break through Focus (`.timeSensitive`); the rest are `.active`.
    public let timeSensitive: Bool
    /// What a tap opens.
    public let deepLink: URL?
    /// When it happened.
    public let date: Date
}

/// Notice → notification, and deep links.
public enum NoticeMapping {
    /// The content for `notice`.
    public static func content(for notice: Notice) -> NoticeContent {
        let nego = notice.deal?.nego
        let title = notice.deal?.intentTitle ?? ""
        // A contact's check-in: who it is from, grouped per check-in, opening its alert screen.
        if let alert = checkinAlert(notice.kind) {
            return NoticeContent(
                identifier: "notice-\(notice.id)",
                titleKey: titleKey(notice.kind),
                body: alert.from.name ?? Formats.ltr(String(alert.from.npub.prefix(16)) + "…"),
                threadIdentifier: "checkin:\(alert.from.pubkey):\(alert.id)",
                categoryIdentifier: category(notice.channel),
                timeSensitive: true,
                deepLink: DeepLink.checkin(from: alert.from.pubkey, id: alert.id),
                date: Date(timeIntervalSince1970: TimeInterval(notice.createdAt))
            )
        }
        return NoticeContent(
            identifier: "notice-\(notice.id)",
            titleKey: titleKey(notice.kind),
            body: title.isEmpty ? nil : title,
            threadIdentifier: nego.map { "deal:\($0)" } ?? "freeport",
            categoryIdentifier: category(notice.channel),
            timeSensitive: notice.channel == .safety,
            deepLink: nego.map(DeepLink.deal),
            date: Date(timeIntervalSince1970: TimeInterval(notice.createdAt))
        )
    }

    /// The check-in a contact's notice is about (nil for every other kind).
    public static func checkinAlert(_ kind: NoticeKind) -> CheckinAlert? {
        switch kind {
        case let .checkinReceived(checkin), let .checkinOverdue(checkin),
             let .checkinSafe(checkin), let .checkinDuress(checkin):
            checkin
        default:
            nil
        }
    }

    /// The catalog key of a kind's title.
    public static func titleKey(_ kind: NoticeKind) -> String {
        switch kind {
        case let .newQuote(acceptedAsPosted):
            acceptedAsPosted ? "New quote: accepted as posted" : "New quote with other terms"
        case .counter: "Counter-offer"
        case .accepted: "They accepted: your turn to confirm"
        case .confirmed: "Deal confirmed"
        case .cancelRequested: "They ask to cancel the deal"
        case .chatMessage: "New message in a deal"
        case .cancelled: "Deal cancelled"
        case .filled: "Taken by another offer"
        case let .meet(step):
            switch step {
            case .scannedYourCode: "They scanned your meet code"
            case .recordedOnTheirPhone: "Meeting recorded on both phones"
            }
        case .ratingReceived: "Your deal partner rated you"
        case .checkinReceived: "A check-in was shared with you"
        case .checkinOverdue: "Check-in overdue: no word from them"
        case .checkinSafe: "They checked in: safe"
        case .checkinDuress: "Check-in: they are not OK, act now"
        case .checkinReminder: "Your check-in deadline is close"
        }
    }

    /// The notification category of a channel.
    public static func category(_ channel: NoticeChannel) -> String {
        switch channel {
        case .deals: "deals"
        case .ratings: "ratings"
        case .safety: "safety"
        }
    }
}

/// `freeport://deal/<nego>` links (what a tapped notification opens).
public enum DeepLink {
    /// The link to a deal.
    public static func deal(_ nego: String) -> URL {
        var c = URLComponents()
        c.scheme = "freeport"
        c.host = "deal"
        c.path = "/" + nego
        return c.url ?? URL(fileURLWithPath: "/")
    }

    /// The deal a link names, or nil.
    public static func nego(from url: URL) -> String? {
        guard url.scheme == "freeport", url.host == "deal" else { return nil }
        let nego = String(url.path.dropFirst())
        return nego.isEmpty || nego.contains("/") ? nil : nego
    }

    /// The link to a contact's check-in (its alert screen): `freeport://checkin/<from>/<id>`.
    public static func checkin(from: String, id: String) -> URL {
        var c = URLComponents()
        c.scheme = "freeport"
        c.host = "checkin"
        c.path = "/\(from)/\(id)"
        return c.url ?? URL(fileURLWithPath: "/")
    }

    /// The check-in a link names (sender key, id), or nil.
    public static func checkin(from url: URL) -> CheckinRef? {
        guard url.scheme == "freeport", url.host == "checkin" else { return nil }
        let parts = url.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard parts.count == 2, let from = parts.first, let id = parts.last,
              !from.isEmpty, !id.isEmpty else { return nil }
        return CheckinRef(from: String(from), id: String(id))
    }
}

/// A contact's check-in, as a deep link names it.
public struct CheckinRef: Hashable, Sendable, Identifiable {
    public let from: String
    public let id: String
    public init(from: String, id: String) {
        self.from = from
        self.id = id
    }
}

/// Where notifications are posted (`UNUserNotificationCenter` in the app).
public protocol NoticePoster: Sendable {
    /// Shows one notification; false when the user has not allowed notifications (the notice
    /// is then acknowledged unseen: the deal screens show the state anyway).
    func post(_ content: NoticeContent) async throws -> Bool
}

/// What one background run did.
public struct BackgroundRun: Equatable, Sendable {
    public let outcome: PassOutcome
    public let posted: Int
}

/// The background refresh's protocol (`BGAppRefreshTask`): one core pass, then every pending
/// notice posted and acknowledged one at a time — posted first, acknowledged after, so a run
/// killed in between posts it again under the same identifier (a replacement), and an
/// acknowledged notice never comes back.
public enum BackgroundRefresh {
    /// The `BGTaskSchedulerPermittedIdentifiers` entry.
    public static let taskIdentifier = "app.freeport.notices"
    /// Earliest next run after one (iOS decides when; it is a hint).
    public static let interval: TimeInterval = 15 * 60
    /// A background refresh task gets about 30 s: leave the system some of it.
    public static let budgetMs: UInt64 = 25_000

    /// Runs one pass and delivers its notices.
    public static func run(
        core: FreeportCoreAPI, poster: NoticePoster, budgetMs: UInt64 = budgetMs
    ) async throws -> BackgroundRun {
        guard try await core.hasIdentity() else { return BackgroundRun(outcome: .complete, posted: 0) }
        let report = try await core.backgroundPass(budgetMs: budgetMs)
        var posted = 0
        var batch = report.notices
        while !batch.isEmpty {
            for notice in batch {
                if try await poster.post(NoticeMapping.content(for: notice)) { posted += 1 }
                _ = try await core.ackNotices(ids: [notice.id])
            }
            batch = try await core.pendingNotices()
        }
        return BackgroundRun(outcome: report.outcome, posted: posted)
    }
}
