import SwiftUI
import FreeportCore
import FreeportViewModels

/// Onboarding until there is an identity, then the tabs.
struct RootScreen: View {
    @Environment(AppEnvironment.self) private var environment

    var body: some View {
        Group {
            if let app = environment.app {
                switch app.phase {
                case .starting:
                    ProgressView("Opening Freeport…")
                case .onboarding:
                    OnboardingScreen(model: OnboardingModel(core: app.core)) { id in
                        Task { await app.identityReady(id) }
                    }
                case .ready:
                    // A core opened again (after a wipe) is a new AppModel: fresh screens over it.
                    MainTabs(app: app).id(ObjectIdentifier(app))
                case let .failed(problem):
                    RetryScreen(message: Words.error(problem)) { Task { await app.start() } }
                }
            } else if let message = environment.startupError {
                RetryScreen(message: message) { Task { await environment.boot() } }
            } else {
                ProgressView("Opening Freeport…")
            }
        }
    }
}

/// A full-screen problem with a retry button.
struct RetryScreen: View {
    let message: String
    let retry: () -> Void

    var body: some View {
        ContentUnavailableView {
            Label("Freeport cannot start", systemImage: "lock.trianglebadge.exclamationmark")
        } description: {
            Text(message)
        } actions: {
            Button("Try again", action: retry).buttonStyle(.borderedProminent)
        }
    }
}

/// The five tabs.
struct MainTabs: View {
    let app: AppModel
    @State private var tab = Tab.browse

    enum Tab: Hashable { case browse, mine, deals, check, me }

    var body: some View {
        TabView(selection: $tab) {
            NavigationStack { BrowseScreen(app: app, model: BrowseModel(core: app.core)) }
                .tabItem { Label("Browse", systemImage: "map") }.tag(Tab.browse)
            NavigationStack { MyIntentsScreen(app: app, model: MyIntentsModel(core: app.core)) }
                .tabItem { Label("My posts", systemImage: "tray.full") }.tag(Tab.mine)
            NavigationStack { DealsScreen(app: app, model: DealsModel(core: app.core)) }
                .tabItem { Label("Deals", systemImage: "person.2") }.tag(Tab.deals)
            NavigationStack { ScreenContactScreen(app: app, model: ScreenModel(core: app.core)) }
                .tabItem { Label("Check", systemImage: "checkmark.shield") }.tag(Tab.check)
            NavigationStack { ProfileScreen(app: app, model: ProfileModel(core: app.core)) }
                .tabItem { Label("Me", systemImage: "person.crop.circle") }.tag(Tab.me)
        }
        // A tapped notification: the Deals tab opens that deal.
        .onChange(of: app.requestedDeal, initial: true) { _, nego in if nego != nil { tab = .deals } }
        // A tapped safety notification: the contact's check-in, over whatever is on screen.
        .sheet(item: Bindable(app).requestedCheckin) { ref in
            if let checkins = app.checkinCore {
                NavigationStack {
                    CheckinAlertScreen(model: CheckinAlertModel(core: checkins, from: ref.from, id: ref.id))
                }
            }
        }
    }
}

/// An inline problem line (red, announced by VoiceOver).
struct ProblemText: View {
    let problem: UserError?

    var body: some View {
        if let problem {
            Label(Words.error(problem), systemImage: "exclamationmark.triangle")
                .foregroundStyle(.red)
                .font(.callout)
                .accessibilityLabel(Text("Problem: \(Words.error(problem))"))
        }
    }
}
