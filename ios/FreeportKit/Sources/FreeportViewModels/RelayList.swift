import Foundation

/// The relay list the app starts the core with (plain settings, nothing secret).
public protocol RelayList: Sendable {
    /// The saved relays, or nil to use the core's defaults.
    func load() -> [String]?
    /// Saves the relays used from the next start.
    func save(_ relays: [String]) throws
}

/// A `RelayList` in a text file, one URL per line, written atomically. The app keeps it in its
/// data directory, so "erase everything" resets it to the defaults too.
public struct FileRelayList: RelayList {
    /// The file.
    public let url: URL

    /// A list stored at `url`.
    public init(url: URL) {
        self.url = url
    }

    /// The saved relays; nil when the file is missing, unreadable or empty.
    public func load() -> [String]? {
        guard let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8) else { return nil }
        let list = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return list.isEmpty ? nil : list
    }

    /// Writes the list (one URL per line).
    public func save(_ relays: [String]) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((relays.joined(separator: "\n") + "\n").utf8).write(to: url, options: .atomic)
    }
}

/// Why a typed relay address was refused (the view words it).
public enum RelayProblem: Equatable, Sendable {
    /// Not `wss://host…` (or `ws://` to this device, for a local test relay).
    case notARelayAddress
}

/// The shape of a relay address the app accepts before handing it to the core: `wss://` and a
/// host, or plain `ws://` only to this device. The same rule as the Android app's settings (the
/// core exports no relay-URL validator; it refuses bad URLs when it connects).
public func relayAddressProblem(_ text: String) -> RelayProblem? {
    let u = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard let comps = URLComponents(string: u), let scheme = comps.scheme?.lowercased(),
          let host = comps.host, !host.isEmpty, comps.user == nil, comps.password == nil
    else { return .notARelayAddress }
    switch scheme {
    case "wss":
        return u.contains(where: \.isWhitespace) ? .notARelayAddress : nil
    case "ws":
        return ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased()) ? nil : .notARelayAddress
    default:
        return .notARelayAddress
    }
}
