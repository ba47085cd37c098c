import Foundation
import SwiftUI
import FreeportCore
import FreeportViewModels
import KeychainSecretStore

/// Owns the core for the app's lifetime: the data directory (Application Support, excluded
/// from iCloud/iTunes backup — the identity lives in the Keychain, this-device-only), the
/// Keychain store, and the root model. Recreated after a wipe.
@MainActor
@Observable
final class AppEnvironment {
    /// The root model once the core is open.
    private(set) var app: AppModel?
    /// Why the core could not be opened (e.g. the Keychain is locked before first unlock).
    private(set) var startupError: String?

    let secrets = KeychainSecretStore()
    /// One-shot device location (one CLLocationManager for the app).
    let location = LocationProvider()

    /// `Application Support/Freeport`.
    var dataDirectory: URL {
        URL.applicationSupportDirectory.appending(path: "Freeport", directoryHint: .isDirectory)
    }

    /// Where versions before the core kept the relay settings listed the relays (imported once).
    private var legacyRelayFile: URL {
        dataDirectory.appending(path: "relays.txt", directoryHint: .notDirectory)
    }

    /// The core, opened once per process: by the first screen or by a background refresh.
    private var core: FreeportApp?

    /// A deal a tapped notification asked to open, before the root model exists.
    private var pendingLink: URL?

    private func openCore() throws -> FreeportApp {
        if let core { return core }
        var dir = dataDirectory
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try dir.setResourceValues(values)
        var config = defaultConfig(dataDir: dir.path)
        config.defaultRegion = Locale.current.region?.identifier
        let opened = try FreeportApp(config: config, secrets: secrets)
        // The bundled markets in the user's language (also for a background refresh's notices).
        opened.setLocales(locales: Locale.preferredLanguages)
        // The core keeps the relay settings; an earlier version's file becomes them once (an
        // unreadable one costs only the old list: Settings shows the defaults).
        _ = try? opened.importRelayFile(path: legacyRelayFile.path)
        core = opened
        return opened
    }

    /// Opens the core (no network yet) and starts the root model.
    func boot() async {
        guard app == nil else { return }
        startupError = nil
        do {
            let model = AppModel(core: try openCore())
            app = model
            await model.start()
            if let link = pendingLink {
                pendingLink = nil
                model.open(link)
            }
        } catch {
            startupError = Words.error(UserError(error))
        }
    }

    /// The core for a background refresh, without starting the app's own connection (the pass
    /// opens and closes its own); nil when it cannot be opened (e.g. Keychain locked).
    func coreForBackground() -> FreeportApp? {
        try? openCore()
    }

    /// A `freeport://deal/…` link (a tapped notification): opens that deal.
    func open(_ url: URL) {
        if let app { app.open(url) } else { pendingLink = url }
    }

    /// Erases the data directory and every Keychain entry, then starts over at onboarding.
    func wipe() async throws {
        await app?.goOffline()
        app = nil
        core = nil
        if FileManager.default.fileExists(atPath: dataDirectory.path) {
            try FileManager.default.removeItem(at: dataDirectory)
        }
        try secrets.deleteAll()
        await boot()
    }
}
