import SwiftUI
import UserNotifications
import FreeportCore
import FreeportViewModels

/// The app entry point. (`FreeportApp` is the core's class, hence the longer name.)
@main
struct FreeportIOSApp: App {
    @State private var environment: AppEnvironment
    @Environment(\.scenePhase) private var scenePhase
    /// Kept alive here: `UNUserNotificationCenter` holds its delegate weakly.
    private let router: NotificationRouter

    init() {
        let environment = AppEnvironment()
        _environment = State(initialValue: environment)
        router = NotificationRouter { url in
            Task { @MainActor in environment.open(url) }
        }
        UNUserNotificationCenter.current().delegate = router
    }

    var body: some Scene {
        WindowGroup {
            RootScreen()
                .environment(environment)
                .task { await environment.boot() }
                .onOpenURL { environment.open($0) }
                // The language or region changed while the app ran: markets follow.
                .onReceive(NotificationCenter.default.publisher(for: NSLocale.currentLocaleDidChangeNotification)) { _ in
                    Task { await environment.app?.languagesChanged() }
                }
        }
        .onChange(of: scenePhase) { _, phase in
            if phase == .background { BackgroundNotices.schedule() }
        }
        .backgroundTask(.appRefresh(BackgroundRefresh.taskIdentifier)) {
            await BackgroundNotices.refresh(environment: environment)
        }
    }
}
