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

    /// The relays the core is started with (Settings edits it; inside the data directory, so
    /// a wipe resets it).
    var relayList: FileRelayList {
        FileRelayList(url: dataDirectory.appending(path: "relays.txt", directoryHint: .notDirectory))
    }

    /// The core's default relays (Settings → "use the default relays").
    var defaultRelays: [String] {
        defaultConfig(dataDir: dataDirectory.path).relays
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
        if let relays = relayList.load() { config.relays = relays }
        let opened = try FreeportApp(config: config, secrets: secrets)
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
            startupError = UserError(error).message
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

    /// Stops the core and opens it again (after the relay list changed).
    func restart() async {
        await app?.goOffline()
        app = nil
        core = nil
        await boot()
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
