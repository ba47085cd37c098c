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

    /// Opens the core (no network yet) and starts the root model.
    func boot() async {
        guard app == nil else { return }
        startupError = nil
        do {
            var dir = dataDirectory
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var values = URLResourceValues()
            values.isExcludedFromBackup = true
            try dir.setResourceValues(values)
            var config = defaultConfig(dataDir: dir.path)
            config.defaultRegion = Locale.current.region?.identifier
            if let relays = relayList.load() { config.relays = relays }
            let core = try FreeportApp(config: config, secrets: secrets)
            let model = AppModel(core: core)
            app = model
            await model.start()
        } catch {
            startupError = Words.error(UserError(error))
        }
    }

    /// Stops the core and opens it again (after the relay list changed).
    func restart() async {
        await app?.goOffline()
        app = nil
        await boot()
    }

    /// Erases the data directory and every Keychain entry, then starts over at onboarding.
    func wipe() async throws {
        await app?.goOffline()
        app = nil
        if FileManager.default.fileExists(atPath: dataDirectory.path) {
            try FileManager.default.removeItem(at: dataDirectory)
        }
        try secrets.deleteAll()
        await boot()
    }
}
