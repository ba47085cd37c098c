import Foundation
import FreeportCore
import FreeportViewModels

/// The core's codes in the user's language: one localized string per code (keys in the string
/// catalog), parameters interpolated, counts through the catalog's plural variations. The core
/// decides (states, actions, refusals, rules, reasons); this only words what it decided.
enum Words {
    static func state(_ s: DealState) -> String {
        switch s {
        case .open: String(localized: "Negotiating")
        case .acceptedByUs: String(localized: "You accepted — waiting for them")
        case .acceptedByThem: String(localized: "They accepted — your turn")
        case .confirmed: String(localized: "Confirmed — meet up")
        case .cancelRequestedByUs: String(localized: "You asked to cancel — waiting for them")
        case .cancelRequestedByThem: String(localized: "They ask to cancel")
        case .met: String(localized: "Met — rate them")
        case .completed: String(localized: "Completed")
        case .cancelled: String(localized: "Cancelled")
        case .expired: String(localized: "Expired")
        }
    }

    static func verdict(_ v: Verdict) -> String {
        switch v {
        case .trusted: String(localized: "Trusted")
        case .caution: String(localized: "Caution")
        case .unknown: String(localized: "Unknown")
        case .warning: String(localized: "Warning")
        }
    }

    /// `12 deals · 9 partners · 3 in your network · verified by 9 · new account`.
    static func badge(_ b: Badge) -> String {
        var parts = [
            String(localized: "\(Int(b.deals)) deals"),
            String(localized: "\(Int(b.partners)) partners"),
            String(localized: "\(Int(b.partnersInNetwork)) in your network"),
        ]
        if b.verifiedBy > 0 { parts.append(String(localized: "verified by \(Int(b.verifiedBy))")) }
        if b.newAccount { parts.append(String(localized: "new account")) }
        return parts.joined(separator: " · ")
    }

    static func reason(_ r: Reason) -> String {
        switch r {
        case .reportedUnsafe: String(localized: "People in your network reported feeling unsafe")
        case .reportedUnreliable: String(localized: "People in your network reported they did not do what was agreed")
        case .noRatingsFromNetwork: String(localized: "No ratings from your network")
        case let .ratingsOutsideNetwork(count): String(localized: "\(Int(count)) ratings from outside your network (little weight)")
        case let .ratedWellInNetwork(count): String(localized: "Rated well by \(Int(count)) people in your network")
        case .fewRatingsFromNetwork: String(localized: "Few ratings from your network")
        case let .newAccount(days): String(localized: "New account (nothing older than \(Int(days)) days)")
        }
    }

    static func phoneStatus(_ p: PhoneStatus) -> String {
        switch p {
        case .notPublished: String(localized: "no phone published")
        case .notVerified: String(localized: "not verified yet")
        case let .verifiedBy(count): String(localized: "verified by \(Int(count)) people who reached it")
        }
    }

    static func cancellation(_ c: Cancellation) -> String {
        let reason: String
        switch c.reason {
        case .notGiven: reason = String(localized: "no reason given")
        case .filled: reason = String(localized: "filled — taken by another offer")
        case .withdrawn: reason = String(localized: "the post was withdrawn")
        case let .said(text): reason = "“\(text)”"
        }
        return c.by == .us ? String(localized: "You cancelled: \(reason)") : String(localized: "They cancelled: \(reason)")
    }

    static func refusal(_ r: Refusal) -> String {
        switch r {
        case .notYourTurn: String(localized: "These are your own terms: wait for their answer")
        case let .noRoundsLeft(cap): String(localized: "All \(Int(cap)) counter-offers are used: accept or cancel")
        case .noChange: String(localized: "These are the terms already on the table")
        case .intentExpired: String(localized: "This post has expired")
        case let .dealClosed(state): String(localized: "This deal is over (\(Self.state(state)))")
        case .alreadyMet: String(localized: "You already met: that can’t be undone")
        case let .notNow(_, state): String(localized: "Not possible now: \(Self.state(state))")
        case .alreadyPicked: String(localized: "You already picked another offer")
        case let .tooManyQuotes(limit): String(localized: "This post already has \(Int(limit)) offers")
        case .ownIntent: String(localized: "This is your own post")
        case .intentWithdrawn: String(localized: "This post was withdrawn")
        case let .alreadyResponded(state): String(localized: "You already answered this post (\(Self.state(state)))")
        case .ownerOnly: String(localized: "Only the one who posted can do this")
        case .authorOnly: String(localized: "Only the one who posted can withdraw it")
        case .alreadyRated: String(localized: "You already rated this deal")
        case .noContactToAttest: String(localized: "They never shared a number to confirm")
        case .noCodeShown: String(localized: "Show your code first")
        case .identityExists: String(localized: "This phone already has an identity")
        case .blocked: String(localized: "You blocked them: unblock them first")
        case let .checkinNeedsConfirmedDeal(state): String(localized: "A check-in is for a confirmed deal (\(Self.state(state)))")
        case .checkinOpen: String(localized: "This deal already has a check-in running")
        case .noCheckin: String(localized: "There is no check-in running for this deal")
        case let .checkinClosed(state): String(localized: "This check-in is over (\(Self.checkin(state)))")
        case .noTrustedContacts: String(localized: "Add a trusted contact first")
        case .notATrustedContact: String(localized: "This person is not one of your trusted contacts")
        case let .tooManyTrustedContacts(max): String(localized: "You can keep at most \(Int(max)) trusted contacts")
        case .contactIsCounterparty: String(localized: "A check-in never goes to the person you meet")
        case .noCheckinPins: String(localized: "No check-in PIN is set")
        case .wrongPin: String(localized: "Wrong PIN")
        }
    }

    /// A check-in's state (`duress` only ever on a contact's phone).
    static func checkin(_ s: CheckinState) -> String {
        switch s {
        case .planned: String(localized: "Planned")
        case .active: String(localized: "Running")
        case .overdue: String(localized: "Overdue")
        case .safe: String(localized: "Safe")
        case .duress: String(localized: "Not OK: act now")
        case .cancelled: String(localized: "Cancelled")
        }
    }

    private static func format(_ f: FreeportCore.Format) -> String {
        switch f {
        case .geohash: String(localized: "a place code (geohash)")
        case .currencyCode: String(localized: "a three-letter currency code such as SGD")
        case .publicKey: String(localized: "a public key (npub)")
        case .backup: String(localized: "an encrypted backup (ncryptsec1…)")
        case .json: String(localized: "valid JSON")
        case .phone: String(localized: "a phone number")
        case .relayUrl: String(localized: "a relay address (wss://…)")
        case .coordinates: String(localized: "a position on Earth")
        case .pattern: String(localized: "in the expected format")
        }
    }

    private static func kind(_ k: ValueKind) -> String {
        switch k {
        case .text: String(localized: "text")
        case .number: String(localized: "a number")
        case .integer: String(localized: "a whole number")
        case .boolean: String(localized: "yes or no")
        case .list: String(localized: "a list")
        case .object: String(localized: "a place or group of fields")
        case .null: String(localized: "empty")
        }
    }

    /// A limit as people write it: `120`, not `120.0`.
    private static func number(_ x: Double) -> String {
        x.rounded() == x && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }

    static func rule(_ r: Rule) -> String {
        switch r {
        case .required: String(localized: "Required")
        case .blank: String(localized: "Only spaces")
        case let .tooShort(min): String(localized: "Use at least \(Int(min)) characters")
        case let .tooLong(max): String(localized: "At most \(Int(max)) characters")
        case let .tooLarge(max): String(localized: "At most \(Int(max)) bytes")
        case let .tooFew(min): String(localized: "At least \(Int(min)) items")
        case let .tooMany(max): String(localized: "At most \(Int(max)) items")
        case .notANumber: String(localized: "Enter a number")
        case let .belowMinimum(min): String(localized: "At least \(number(min))")
        case let .aboveMaximum(max): String(localized: "At most \(number(max))")
        case .notPositive: String(localized: "Must be more than zero")
        case let .notAnOption(options): String(localized: "Choose one of: \(options.joined(separator: ", "))")
        case let .badFormat(f): String(localized: "Not \(format(f))")
        case let .wrongType(expected): String(localized: "Must be \(kind(expected))")
        case .mismatch: String(localized: "The two entries differ")
        case .notConfirmed: String(localized: "Please confirm first")
        case .unknown: String(localized: "Not known to this app")
        case .isSecretKey: String(localized: "This is a secret key (nsec): never share it. Enter the public key (npub).")
        case .isOwnKey: String(localized: "This is your own key")
        case .controlCharacters: String(localized: "Contains control characters (only line breaks and tabs are allowed)")
        case .endBeforeStart: String(localized: "Ends before it starts")
        case .inThePast: String(localized: "This time is already over")
        case .invalid: String(localized: "Not accepted")
        case let .schema(keyword): String(localized: "Not accepted by this market (\(keyword))")
        case let .tooSoon(minSecs): String(localized: "At least \(Int(max(1, minSecs / 60))) minutes from now")
        case let .tooFarAhead(maxSecs): String(localized: "At most \(Int(max(1, maxSecs / 3600))) hours from now")
        case .mustDiffer: String(localized: "Must differ from your usual PIN")
        }
    }

    /// The rules of violations already placed under their field, one per line.
    static func violations(_ v: [FieldViolation]) -> String {
        var seen: [String] = []
        for text in v.map({ rule($0.rule) }) where !seen.contains(text) { seen.append(text) }
        return seen.joined(separator: "\n")
    }

    static func code(_ p: CodeProblem) -> String {
        switch p {
        case .notFreeport: String(localized: "This is not a Freeport code")
        case let .wrongKind(_, found):
            found == .meet
                ? String(localized: "This is a meetup code: scan the return code the other phone shows after scanning yours")
                : String(localized: "This is a return code: scan the meetup code on the other phone")
        case .newerVersion: String(localized: "This code was made by a newer Freeport: update the app")
        case let .incomplete(expected, found): String(localized: "This code is incomplete (\(Int(found)) of \(Int(expected)) characters): scan it again")
        case .extraCharacters: String(localized: "This code has extra characters: copy only the code")
        case .badCharacter: String(localized: "This code has a character that does not belong: scan it again")
        case .damaged: String(localized: "This code is damaged: scan it again")
        case .differentDeal: String(localized: "This code belongs to a different deal")
        case .ownCode: String(localized: "This is your own code: the other person scans it")
        case .notTheirCode: String(localized: "This code was not made by the person you made this deal with")
        case .tampered: String(localized: "This code is damaged or was tampered with: ask for a fresh one")
        case let .expired(ago): String(localized: "This code expired \(Int(max(1, ago / 60))) minutes ago: ask them to refresh it")
        case let .fromFuture(ahead): String(localized: "This code is dated \(Int(max(1, ahead / 60))) minutes ahead: check the time on both phones")
        case .alreadyUsed: String(localized: "This code was already used")
        case .unknownReturn: String(localized: "This return code does not match a code you showed: show a fresh one")
        case .clockWrong: String(localized: "This phone’s clock is wrong: check the date and time")
        case .noCode: String(localized: "No code found: hold steady and fill the frame with the code")
        case .badImage: String(localized: "This picture cannot be read")
        }
    }

    static func phone(_ p: PhoneProblem) -> String {
        switch p {
        case .empty: String(localized: "Enter your number")
        case let .inputTooLong(max): String(localized: "At most \(Int(max)) characters")
        case let .unexpectedCharacter(character, _): String(localized: "“\(character)” does not belong in a phone number")
        case let .unknownRegion(region): String(localized: "“\(region)” is not a known country")
        case .missingCountryCode: String(localized: "Start with + and your country code")
        case let .unknownCountryCode(leading): String(localized: "No country code starts +\(leading)")
        case let .notANumber(digits): String(localized: "Only \(Int(digits)) digits: not a phone number")
        case let .tooShort(countryCode, _, _): String(localized: "Too short for +\(Int(countryCode))")
        case let .tooLong(countryCode, _, _): String(localized: "Too long for +\(Int(countryCode))")
        case let .wrongLength(countryCode, _, _): String(localized: "Not a number length +\(Int(countryCode)) uses")
        case let .notAssigned(countryCode): String(localized: "Not a valid number for +\(Int(countryCode))")
        case let .tooManyDigits(max): String(localized: "At most \(Int(max)) digits")
        case .noPhoneInContact: String(localized: "No phone number in the contact")
        case let .contactTooLong(max): String(localized: "The contact is over \(Int(max)) bytes")
        }
    }

    /// How far a deal got (`DealView.stage`).
    static func stage(_ s: DealStage) -> String {
        switch s {
        case .pickedUp: String(localized: "Picked up")
        case .completed: String(localized: "Completed")
        }
    }

    /// Why something a counterparty sent was not accepted.
    static func refusal(_ code: RefusalCode) -> String {
        switch code {
        case .notFreeport: String(localized: "A message that is not part of a Freeport negotiation.")
        case .malformed: String(localized: "A message that breaks the format.")
        case .notForUs: String(localized: "A message about a deal that is not theirs.")
        case .unknownDeal: String(localized: "A message about a deal this phone does not have.")
        case .badOpening: String(localized: "A deal must start with an offer or an acceptance.")
        case .staleAccept: String(localized: "They accepted terms that are no longer the ones on the table.")
        case .notAllowedNow: String(localized: "A step that is not possible at this point of the deal.")
        case .closed: String(localized: "A message after the deal was cancelled or expired.")
        case .irreversible: String(localized: "An attempt to undo a deal that was met or completed.")
        case .roundCapReached: String(localized: "A counter-offer beyond the 8 allowed.")
        case .expired: String(localized: "A message after the listing expired.")
        case .tooManyMessages: String(localized: "Too many messages on this deal.")
        case .threadLimit: String(localized: "Too many offers on this listing.")
        case .chatFull: String(localized: "The chat of this deal is full.")
        case .notAContact: String(localized: "A check-in from someone who is not one of your trusted contacts.")
        case .stale: String(localized: "A check-in that ended long ago.")
        }
    }

    /// Why the core refused a relay address (or a whole list).
    static func relayRule(_ rule: RelayUrlRule) -> String {
        switch rule {
        case .empty: String(localized: "Enter a relay address")
        case let .tooLong(max): String(localized: "The address is longer than \(Int(max)) characters")
        case .notAUrl: String(localized: "Not a relay address (like wss://relay.example.com)")
        case .scheme: String(localized: "A relay address starts with wss://")
        case .plainWs: String(localized: "Plain ws:// is only for a relay on this phone; use wss://")
        case .credentials: String(localized: "The address must not contain a user name or password")
        case .privateAddress: String(localized: "This points to a local or private network address")
        case .onion: String(localized: "Tor .onion addresses cannot be reached")
        case .hostileShape: String(localized: "This address has a shape relay addresses never have")
        case .duplicate: String(localized: "This relay is already in the list")
        case let .tooMany(max): String(localized: "A list holds at most \(Int(max)) relays")
        case .listEmpty: String(localized: "Keep at least one relay in this list")
        }
    }

    /// One line for an error banner: the core's code when it sent one, else the kind's heading.
    static func error(_ e: UserError) -> String {
        if let r = e.refusal { return refusal(r) }
        if let c = e.codeProblem { return code(c) }
        if let p = e.phoneProblem { return phone(p) }
        if !e.violations.isEmpty { return violations(e.violations) }
        if !e.relayViolations.isEmpty {
            var seen: [String] = []
            for text in e.relayViolations.map({ relayRule($0.rule) }) where !seen.contains(text) { seen.append(text) }
            return seen.joined(separator: "\n")
        }
        switch e.kind {
        case .noIdentity: return String(localized: "No identity on this phone yet")
        case .offline: return String(localized: "Not connected to any relay")
        case .notFound: return String(localized: "Not found")
        case .notPossible: return String(localized: "Not possible right now")
        case .invalidInput: return String(localized: "Please check this")
        case .invalidRelays: return String(localized: "Relay not accepted")
        case .invalidCode: return String(localized: "This code cannot be used")
        case .wrongPassphrase: return String(localized: "Wrong passphrase")
        case .phone: return String(localized: "Phone number not accepted")
        case .storage: return String(localized: "Storage problem")
        case .network: return String(localized: "Network problem")
        case .secretStore: return String(localized: "The keychain is unavailable")
        case .internal: return String(localized: "Something went wrong")
        }
    }
}
