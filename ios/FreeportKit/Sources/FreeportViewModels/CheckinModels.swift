import Foundation
import Observation
import FreeportCore

/// The core's meetup check-in calls (issue #21, docs/SAFETY.md) the screens use. Every rule — who
/// may be a contact, when a check-in may be shared, what a PIN means, when a phone alerts — is the
/// core's; `FreeportApp` conforms with no code.
public protocol CheckinCoreAPI: AnyObject, Sendable {
    func trustedContacts() async throws -> [TrustedContactView]
    func addTrustedContact(key: String, label: String?) async throws -> TrustedContactView
    func addTrustedContactFromDeal(nego: String, label: String?) async throws -> TrustedContactView
    func removeTrustedContact(key: String) async throws -> Bool

    func checkinShare(input: CheckinShareInput) async throws -> CheckinView
    func checkinExtend(nego: String, deadline: UInt64) async throws -> CheckinView
    func checkinSafe(nego: String, duress: Bool) async throws -> CheckinView
    func checkinSafeWithPin(nego: String, pin: String) async throws -> CheckinView
    func checkinCancel(nego: String) async throws -> CheckinView
    func myCheckins() async throws -> [CheckinView]
    func dealCheckin(nego: String) async throws -> DealCheckinView
    func watchedCheckins() async throws -> [WatchedCheckinView]
    func watchedCheckin(from: String, id: String) async throws -> WatchedCheckinView

    /// Raises what is due now; call when the alarm set for `checkinNextAlarm` rings.
    func checkinTick() async throws -> [Notice]
    /// When this phone must next act (unix seconds), if ever.
    func checkinNextAlarm() async throws -> UInt64?
    func checkinPinsSet() async throws -> Bool
    func setCheckinPins(safePin: String, duressPin: String) async throws
    func clearCheckinPins() async throws
}

extension FreeportApp: CheckinCoreAPI {}

/// The trusted contacts screen: the list, adding by key (pasted, or from a scanned profile code)
/// or from a past deal, removing.
@MainActor
@Observable
public final class TrustedContactsModel {
    public private(set) var contacts: [TrustedContactView] = []
    /// The key being typed or scanned (npub, nprofile, hex, `nostr:` URI).
    public var key = ""
    /// The user's label for them.
    public var label = ""
    public private(set) var busy = false
    public private(set) var error: UserError?

    private let core: CheckinCoreAPI

    public init(core: CheckinCoreAPI) { self.core = core }

    public func refresh() async {
        await run { self.contacts = try await self.core.trustedContacts() }
    }

    /// Adds the typed key (the core refuses your own key, a blocked one, a full list).
    public func add() async {
        await run {
            let trimmed = self.label.trimmingCharacters(in: .whitespaces)
            _ = try await self.core.addTrustedContact(
                key: self.key.trimmingCharacters(in: .whitespaces),
                label: trimmed.isEmpty ? nil : trimmed
            )
            self.key = ""
            self.label = ""
            self.contacts = try await self.core.trustedContacts()
        }
    }

    /// Adds the person of a past deal.
    public func add(fromDeal nego: String) async {
        await run {
            _ = try await self.core.addTrustedContactFromDeal(nego: nego, label: nil)
            self.contacts = try await self.core.trustedContacts()
        }
    }

    public func remove(_ key: String) async {
        await run {
            _ = try await self.core.removeTrustedContact(key: key)
            self.contacts = try await self.core.trustedContacts()
        }
    }

    private func run(_ body: @MainActor () async throws -> Void) async {
        busy = true
        defer { busy = false }
        do {
            try await body()
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}

/// The check-in part of a deal screen: share (contacts, a deadline, optionally the place), then a
/// countdown with "I'm safe", extend and cancel. `actions` are the core's: one control each. With
/// PINs set, "I'm safe" asks for one and the core decides what it means (the duress PIN looks
/// exactly like the usual one here).
@MainActor
@Observable
public final class DealCheckinModel {
    public let nego: String
    public private(set) var view: DealCheckinView?
    public private(set) var contacts: [TrustedContactView] = []
    /// Keys of the contacts chosen for a new check-in.
    public var chosen: Set<String> = []
    /// The deadline being chosen (unix seconds).
    public var deadline: UnixTime?
    public var placeName = ""
    public var geohash = ""
    /// PINs are set: "I'm safe" needs one.
    public private(set) var pinRequired = false
    public var pin = ""
    public private(set) var busy = false
    public private(set) var error: UserError?

    private let core: CheckinCoreAPI
    private let clock: Clock

    public init(core: CheckinCoreAPI, nego: String, clock: Clock = .system) {
        self.core = core
        self.nego = nego
        self.clock = clock
    }

    /// The check-in on screen, if any.
    public var checkin: CheckinView? { view?.checkin }
    /// What the user may do now (share, extend, safe, cancel).
    public var actions: [CheckinAction] { view?.actions ?? [] }
    /// Seconds to the deadline now (negative once passed): what the countdown shows.
    public var secondsLeft: Int64? {
        checkin.map { Int64($0.deadline) - Int64(clock.now()) }
    }

    public func refresh() async {
        await run {
            self.view = try await self.core.dealCheckin(nego: self.nego)
            self.contacts = try await self.core.trustedContacts()
            self.pinRequired = try await self.core.checkinPinsSet()
            if self.chosen.isEmpty { self.chosen = Set(self.contacts.map(\.pubkey)) }
        }
    }

    public func toggle(_ pubkey: String) {
        if chosen.contains(pubkey) { chosen.remove(pubkey) } else { chosen.insert(pubkey) }
    }

    /// Shares with the chosen contacts (the core checks the deal, the contacts and the deadline).
    public func share() async {
        await change {
            let place = self.placeName.trimmingCharacters(in: .whitespaces)
            let gh = self.geohash.trimmingCharacters(in: .whitespaces)
            _ = try await self.core.checkinShare(input: CheckinShareInput(
                nego: self.nego, contacts: self.chosen.sorted(), deadline: self.deadline ?? 0,
                placeName: place.isEmpty ? nil : place, geohash: gh.isEmpty ? nil : gh
            ))
        }
    }

    /// Moves the deadline to the one chosen.
    public func extend() async {
        await change { _ = try await self.core.checkinExtend(nego: self.nego, deadline: self.deadline ?? 0) }
    }

    /// "I'm safe" (with the typed PIN when PINs are set).
    public func safe() async {
        await change {
            if self.pinRequired {
                _ = try await self.core.checkinSafeWithPin(nego: self.nego, pin: self.pin)
            } else {
                _ = try await self.core.checkinSafe(nego: self.nego, duress: false)
            }
            self.pin = ""
        }
    }

    public func cancel() async {
        await change { _ = try await self.core.checkinCancel(nego: self.nego) }
    }

    private func change(_ body: @MainActor () async throws -> Void) async {
        await run {
            try await body()
            self.view = try await self.core.dealCheckin(nego: self.nego)
        }
    }

    private func run(_ body: @MainActor () async throws -> Void) async {
        busy = true
        defer { busy = false }
        do {
            try await body()
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}

/// A contact's alert screen: one check-in someone shares — who, whom they meet (key, name, masked
/// phone, the card they saw), where, until when — and its state (overdue and duress are alarms).
/// Opened from a check-in notice (`CheckinAlert.from.pubkey`, `.id`).
@MainActor
@Observable
public final class CheckinAlertModel {
    public let from: String
    public let id: String
    public private(set) var checkin: WatchedCheckinView?
    public private(set) var error: UserError?

    private let core: CheckinCoreAPI

    public init(core: CheckinCoreAPI, from: String, id: String) {
        self.core = core
        self.from = from
        self.id = id
    }

    /// `true` when this check-in calls for action now.
    public var isAlarm: Bool { checkin.map { [.overdue, .duress].contains($0.state) } ?? false }

    public func refresh() async {
        do {
            checkin = try await core.watchedCheckin(from: from, id: id)
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}

/// Every check-in on this phone: the user's own and the ones contacts share.
@MainActor
@Observable
public final class CheckinListModel {
    public private(set) var mine: [CheckinView] = []
    public private(set) var watching: [WatchedCheckinView] = []
    public private(set) var error: UserError?

    private let core: CheckinCoreAPI

    public init(core: CheckinCoreAPI) { self.core = core }

    public func refresh() async {
        do {
            mine = try await core.myCheckins()
            watching = try await core.watchedCheckins()
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}

/// The check-in PINs (Settings): the usual one and the duress one. The core keeps them hashed in
/// the Keychain and judges them (4–12 digits, different); this only holds what is typed.
@MainActor
@Observable
public final class CheckinPinsModel {
    public var safePin = ""
    public var duressPin = ""
    public private(set) var pinsSet = false
    public private(set) var error: UserError?

    private let core: CheckinCoreAPI

    public init(core: CheckinCoreAPI) { self.core = core }

    public func refresh() async {
        pinsSet = (try? await core.checkinPinsSet()) ?? false
    }

    public func save() async {
        do {
            try await core.setCheckinPins(safePin: safePin, duressPin: duressPin)
            safePin = ""
            duressPin = ""
            error = nil
        } catch {
            self.error = UserError(error)
        }
        await refresh()
    }

    public func clear() async {
        do {
            try await core.clearCheckinPins()
            error = nil
        } catch {
            self.error = UserError(error)
        }
        await refresh()
    }
}

/// A local notification to fire at a given time: how iOS keeps a check-in's alarm with the app
/// suspended (it cannot run code at an exact time). Replaced as a set after every refresh.
public struct CheckinAlarm: Equatable, Sendable {
    /// Stable per check-in and deadline: re-planning replaces, closing removes.
    public let identifier: String
    public let fireAt: Date
    /// Catalog key of the title.
    public let titleKey: String
    public let body: String?
    public let deepLink: URL
}

/// Which local alarms should be pending now: a contact's open check-in alarms at its `alarm_at`
/// (the core's time, skew and grace included), the user's own reminder at `remind_at`. The core
/// raises the same alerts as notices when it runs; the local ones cover the app being suspended.
public enum CheckinAlarms {
    /// Identifier prefix of every check-in alarm (what a re-plan removes first).
    public static let prefix = "checkin-alarm-"

    public static func plan(mine: [CheckinView], watching: [WatchedCheckinView]) -> [CheckinAlarm] {
        var out: [CheckinAlarm] = []
        for w in watching {
            guard let at = w.alarmAt else { continue }
            out.append(CheckinAlarm(
                identifier: "\(prefix)\(w.from.pubkey)-\(w.id)-\(w.deadline)",
                fireAt: Date(timeIntervalSince1970: TimeInterval(at)),
                titleKey: "Check-in overdue: no word from them",
                body: w.from.name ?? String(w.from.npub.prefix(16)) + "…",
                deepLink: DeepLink.checkin(from: w.from.pubkey, id: w.id)
            ))
        }
        for c in mine {
            guard let at = c.remindAt else { continue }
            out.append(CheckinAlarm(
                identifier: "\(prefix)mine-\(c.id)-\(c.deadline)",
                fireAt: Date(timeIntervalSince1970: TimeInterval(at)),
                titleKey: "Your check-in deadline is close",
                body: nil,
                deepLink: DeepLink.deal(c.nego)
            ))
        }
        return out
    }

    /// The plan from the core.
    public static func plan(core: CheckinCoreAPI) async throws -> [CheckinAlarm] {
        plan(mine: try await core.myCheckins(), watching: try await core.watchedCheckins())
    }
}
