import Foundation
import Observation
import FreeportCore

/// An incoming message the core refused, as the event reported it.
public struct Rejection: Equatable, Sendable {
    /// Why, as a code the screen words.
    public let code: RefusalCode
    /// The deal it concerned, when it came from that deal's counterparty.
    public let nego: String?
}

/// Where the app is: first launch asks for an identity, afterwards the main tabs.
public enum AppPhase: Equatable, Sendable {
    /// Reading the identity from the secret store.
    case starting
    /// No identity on this device: show onboarding.
    case onboarding
    /// Ready; `identity` is the user's key.
    case ready(IdentityView)
    /// The secret store could not be read (e.g. device locked); offer retry.
    case failed(UserError)
}

/// Root model: identity gate, network start, and live events turned into refresh counters
/// that screens observe (`.onChange(of: app.dealsRevision)`), so no screen polls.
@MainActor
@Observable
public final class AppModel {
    /// The core every screen talks to.
    public let core: FreeportCoreAPI
    /// Current phase.
    public private(set) var phase: AppPhase = .starting
    /// Bumped when any negotiation changes (incoming quote, accept, cancel, met, a chat
    /// message, a refused message on a deal).
    public private(set) var dealsRevision = 0
    /// Bumped when a new intent is seen in a watched market.
    public private(set) var marketsRevision = 0
    /// Bumped when someone's screening changed (new receipt, rating or profile).
    public private(set) var screeningRevision = 0
    /// The most recent event (for a status line and tests).
    public private(set) var lastEvent: AppEventRecord?
    /// Incoming messages the core refused, newest last, at most 20 (a deal's own are on its
    /// screen, from `refusals`).
    public private(set) var rejected: [Rejection] = []
    /// Whether the relay connection has been started.
    public private(set) var online = false
    /// Last network problem (the app works offline; this is a status line, not a blocker).
    public private(set) var networkError: UserError?
    /// A deal to open (a tapped notification's link); the Deals tab shows it and clears it.
    public var requestedDeal: String?
    /// A contact's check-in a tapped safety notification asked to open (its alert screen).
    public var requestedCheckin: CheckinRef?
    /// Bumped when a check-in (the user's own, or one a contact shares) changed.
    public private(set) var checkinsRevision = 0
    /// Bumped when the user's languages changed: market screens reload their markets, which
    /// the core then gives in the new language.
    public private(set) var languagesRevision = 0

    /// The user's languages, most preferred first (iOS: `Locale.preferredLanguages`, which
    /// includes the per-app language chosen in Settings).
    private let languages: @Sendable () -> [String]

    private var subscription: ListenerHandle?

    /// The check-in calls of the same core (the generated `FreeportApp` offers both).
    public var checkinCore: CheckinCoreAPI? { core as? CheckinCoreAPI }

    /// A root model over `core`; `languages` gives the user's preferred languages.
    public init(core: FreeportCoreAPI, languages: @escaping @Sendable () -> [String] = { Locale.preferredLanguages }) {
        self.core = core
        self.languages = languages
    }

    /// Gives the core the user's languages now (at start, and when the system says the locale
    /// changed): the bundled markets' titles, forms and options then read in the first of them
    /// Freeport speaks. Bumps `languagesRevision` so open market screens reload.
    public func languagesChanged() async {
        try? await core.setLocales(locales: languages())
        languagesRevision += 1
    }

    /// Reads the identity and, when there is one, goes online and subscribes to events.
    public func start() async {
        phase = .starting
        await languagesChanged()
        do {
            if let id = try await core.identity() {
                phase = .ready(id)
                await goOnline()
            } else {
                phase = .onboarding
            }
        } catch {
            phase = .failed(UserError(error))
        }
    }

    /// Called by onboarding once an identity exists.
    public func identityReady(_ id: IdentityView) async {
        phase = .ready(id)
        await goOnline()
    }

    /// Connects and subscribes (idempotent). Failure leaves the app usable offline.
    public func goOnline() async {
        do {
            if subscription == nil {
                let forwarder = EventForwarder { [weak self] event in
                    Task { @MainActor in self?.handle(event) }
                }
                subscription = try await core.subscribe(listener: forwarder)
            }
            try await core.startNetwork()
            online = true
            networkError = nil
        } catch {
            networkError = UserError(error)
        }
    }

    /// Disconnects and stops listening (app going to background for long, or wipe).
    public func goOffline() async {
        subscription?.cancel()
        subscription = nil
        try? await core.stopNetwork()
        online = false
    }

    /// Opens what a `freeport://deal/…` or `freeport://checkin/…` link names (others are ignored).
    public func open(_ url: URL) {
        if let nego = DeepLink.nego(from: url) { requestedDeal = nego }
        if let ref = DeepLink.checkin(from: url) { requestedCheckin = ref }
    }

    /// Routes one event to the counters.
    func handle(_ event: AppEventRecord) {
        lastEvent = event
        switch event {
        case .intentSeen:
            marketsRevision += 1
        case .negotiationChanged, .dealMet, .chatReceived, .notice:
            dealsRevision += 1
        case .screeningChanged:
            screeningRevision += 1
        case .checkinChanged:
            checkinsRevision += 1
        case let .messageRejected(code, nego):
            rejected.append(Rejection(code: code, nego: nego))
            if rejected.count > 20 { rejected.removeFirst(rejected.count - 20) }
            // A deal's screen lists what its counterparty sent that was refused.
            if nego != nil { dealsRevision += 1 }
        }
    }
}
