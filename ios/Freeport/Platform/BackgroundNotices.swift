import BackgroundTasks
import Foundation
import UserNotifications
import FreeportCore
import FreeportViewModels

/// Posts notices through `UNUserNotificationCenter`. What each notification says, how it is
/// grouped and what it opens come from `NoticeMapping` (FreeportKit); this only copies them.
struct UserNotificationPoster: NoticePoster {
    func post(_ c: NoticeContent) async throws -> Bool {
        let center = UNUserNotificationCenter.current()
        switch await center.notificationSettings().authorizationStatus {
        case .authorized, .provisional, .ephemeral: break
        default: return false
        }
        let content = UNMutableNotificationContent()
        content.title = String(localized: String.LocalizationValue(c.titleKey))
        content.body = c.body ?? String(localized: "A deal")
        content.threadIdentifier = c.threadIdentifier
        content.categoryIdentifier = c.categoryIdentifier
        content.interruptionLevel = c.timeSensitive ? .timeSensitive : .active
        content.sound = .default
        if let link = c.deepLink { content.userInfo = ["deepLink": link.absoluteString] }
        // Same identifier after a crash: the system replaces the notification, never doubles it.
        try await center.add(UNNotificationRequest(identifier: c.identifier, content: content, trigger: nil))
        return true
    }
}

/// Scheduling of the background refresh and the notification permission. The work itself is
/// `BackgroundRefresh.run` (FreeportKit): one core pass, notices posted then acknowledged.
enum BackgroundNotices {
    /// Asks iOS for the next refresh in about 15 minutes (iOS decides when, from how the app is
    /// used; it is a request, not a timer).
    static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: BackgroundRefresh.taskIdentifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: BackgroundRefresh.interval)
        try? BGTaskScheduler.shared.submit(request)
    }

    /// One refresh (the scene's `.backgroundTask(.appRefresh(…))`): schedules the next one
    /// first, then runs the pass within the budget; iOS's expiry cancels the task, which the
    /// core survives (a cut pass loses nothing).
    static func refresh(environment: AppEnvironment) async {
        schedule()
        guard let core = await environment.coreForBackground() else { return }
        _ = try? await BackgroundRefresh.run(core: core, poster: UserNotificationPoster())
        if let checkins = core as? CheckinCoreAPI, let plan = try? await CheckinAlarms.plan(core: checkins) {
            await CheckinAlarmScheduler.replace(plan)
        }
    }

    /// Asks for permission to notify, once, when it makes sense: after the user posted or
    /// answered (an answer is what they now wait for).
    static func requestPermissionIfNeeded() async {
        let center = UNUserNotificationCenter.current()
        guard await center.notificationSettings().authorizationStatus == .notDetermined else { return }
        _ = try? await center.requestAuthorization(options: [.alert, .sound, .badge])
    }
}

/// Shows notices while the app is open, and opens the deal a tapped notification names.
final class NotificationRouter: NSObject, UNUserNotificationCenterDelegate, @unchecked Sendable {
    private let open: @Sendable (URL) -> Void

    init(open: @escaping @Sendable (URL) -> Void) {
        self.open = open
    }

    func userNotificationCenter(
        _ center: UNUserNotificationCenter, willPresent notification: UNNotification
    ) async -> UNNotificationPresentationOptions {
        [.banner, .list, .sound]
    }

    func userNotificationCenter(
        _ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse
    ) async {
        if let s = response.notification.request.content.userInfo["deepLink"] as? String,
           let url = URL(string: s) {
            open(url)
        }
    }
}

/// Keeps the check-in alarms (`CheckinAlarms.plan`, FreeportKit) as local notifications with a
/// time trigger: iOS shows them at the contact's alarm time (or the user's reminder) even with the
/// app suspended. Replaced as a whole after every refresh: a closed check-in's alarm goes away.
enum CheckinAlarmScheduler {
    static func replace(_ plan: [CheckinAlarm]) async {
        let center = UNUserNotificationCenter.current()
        let pending = await center.pendingNotificationRequests()
        let old = pending.map(\.identifier).filter { $0.hasPrefix(CheckinAlarms.prefix) }
        center.removePendingNotificationRequests(withIdentifiers: old)
        for alarm in plan {
            let content = UNMutableNotificationContent()
            content.title = String(localized: String.LocalizationValue(alarm.titleKey))
            if let body = alarm.body { content.body = body }
            content.categoryIdentifier = "safety"
            content.interruptionLevel = .timeSensitive
            content.sound = .default
            content.userInfo = ["deepLink": alarm.deepLink.absoluteString]
            let seconds = max(1, alarm.fireAt.timeIntervalSinceNow)
            let trigger = UNTimeIntervalNotificationTrigger(timeInterval: seconds, repeats: false)
            try? await center.add(UNNotificationRequest(identifier: alarm.identifier, content: content, trigger: trigger))
        }
    }
}
