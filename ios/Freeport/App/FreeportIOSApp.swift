import SwiftUI
import FreeportCore
import FreeportViewModels

/// The app entry point. (`FreeportApp` is the core's class, hence the longer name.)
@main
struct FreeportIOSApp: App {
    @State private var environment = AppEnvironment()

    var body: some Scene {
        WindowGroup {
            RootScreen()
                .environment(environment)
                .task { await environment.boot() }
        }
    }
}
