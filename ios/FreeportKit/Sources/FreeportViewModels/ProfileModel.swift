import Foundation
import Observation
import FreeportCore

/// The user's profile: name, about, phone (published masked by default; the full number only
/// after the permanence warning was shown and confirmed), vehicle and plate.
@MainActor
@Observable
public final class ProfileModel {
    /// What is published now.
    public private(set) var profile: ProfileView?
    /// Editable name.
    public var name = ""
    /// Editable about.
    public var about = ""
    /// New phone number (any format); empty keeps the current one.
    public var phone = ""
    /// Vehicle model (rideshare).
    public var vehicleModel = ""
    /// Licence plate (rideshare).
    public var plate = ""
    /// The user wants the full number published. Turning it on shows the warning.
    public var publishFullNumber = false {
        didSet {
            if publishFullNumber && !oldValue && !warningAcknowledged { warningPresented = true }
            if !publishFullNumber { warningAcknowledged = false }
        }
    }
    /// The warning dialog is up.
    public private(set) var warningPresented = false
    /// The user confirmed the warning.
    public private(set) var warningAcknowledged = false
    /// The warning text, verbatim from the core (the core checks it was the one shown).
    public let fullNumberWarningText: String
    /// How the user's phone stands, from their own screening card (not published, not verified
    /// yet, or verified by `count` raters who reached the number).
    public private(set) var phoneStatus: PhoneStatus?
    /// A call is running.
    public private(set) var busy = false
    /// Last problem (`field` is `phone` or `publish_full_number` when about those).
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI

    /// A model over `core`.
    public init(core: FreeportCoreAPI) {
        self.core = core
        self.fullNumberWarningText = fullNumberWarning()
    }

    /// The published phone line: the mask unless the user opted in.
    public var publishedPhone: String? { profile?.phonePublished }

    /// Loads the user's own profile and the phone's verification status.
    public func load() async {
        do {
            guard let me = try await core.identity() else { return }
            apply(try await core.profile(pubkey: me.pubkey))
            let card = try await core.screen(subject: me.pubkey, explain: false)
            phoneStatus = card.phoneStatus
        } catch {
            self.error = UserError(error)
        }
    }

    /// The user read the warning and agrees to publish the full number.
    public func acknowledgeWarning() {
        warningAcknowledged = true
        warningPresented = false
    }

    /// The user backed out of the warning: stay masked.
    public func declineWarning() {
        warningPresented = false
        publishFullNumber = false
    }

    /// Publishes the edits.
    public func save() async {
        busy = true
        defer { busy = false }
        let trimmedPhone = phone.trimmingCharacters(in: .whitespacesAndNewlines)
        let full = publishFullNumber && warningAcknowledged
        let input = ProfileInput(
            name: Self.orNil(name), about: Self.orNil(about),
            phone: trimmedPhone.isEmpty ? nil : trimmedPhone,
            publishFullNumber: full,
            fullNumberWarningShown: full ? fullNumberWarningText : nil,
            vehicleModel: Self.orNil(vehicleModel), plate: Self.orNil(plate))
        do {
            apply(try await core.setProfile(input: input))
            phone = ""
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    private func apply(_ p: ProfileView) {
        profile = p
        name = p.name ?? ""
        about = p.about ?? ""
        vehicleModel = p.vehicleModel ?? ""
        plate = p.plate ?? ""
        publishFullNumber = p.phoneIsFull
        warningAcknowledged = p.phoneIsFull
        warningPresented = false
    }

    private static func orNil(_ s: String) -> String? {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }
}
