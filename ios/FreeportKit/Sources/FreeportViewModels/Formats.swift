import Foundation
import FreeportCore

/// Numbers, shares, durations and moments in the user's language, through Foundation's
/// `FormatStyle`s (the locale's digits, separators, unit words and plural forms: "72 %" in German,
/// "%72" in Turkish, "٧٢٪" in Arabic, "45 Sekunden", "через 3 дня"). Counts inside sentences are
/// plural variations in the string catalog; these are the values that are not sentences.
/// The locale defaults to the app's current one (the per-app language on iOS 17).
public enum Formats {
    /// A plain number: "1.234,5" (de), "١٬٢٣٤٫٥" (ar).
    public static func number(_ x: Double, locale: Locale = .autoupdatingCurrent) -> String {
        x.formatted(.number.locale(locale))
    }

    /// A share from 0 to 1 as a percentage, whole: "72 %", "%72", "٧٢٪".
    public static func percent(_ share: Double, locale: Locale = .autoupdatingCurrent) -> String {
        share.formatted(.percent.precision(.fractionLength(0)).locale(locale))
    }

    /// A number of seconds with the locale's unit word, plural form included: "45 seconds",
    /// "1 секунда", "٤٥ ثانية".
    public static func seconds(_ n: Int, locale: Locale = .autoupdatingCurrent) -> String {
        Duration.seconds(max(0, n)).formatted(.units(allowed: [.seconds], width: .wide).locale(locale))
    }

    /// When `at` is, seen from `now` (unix seconds), in the locale's words: "in 3 days",
    /// "dans 5 heures", "2 minutes ago". Rounded down to the largest whole unit (days, hours,
    /// minutes), as a person would say it; at least one minute.
    public static func relative(_ at: UnixTime, now: UnixTime = Clock.system.now(), locale: Locale = .autoupdatingCurrent) -> String {
        let delta = Double(at) - Double(now)
        let magnitude = abs(delta)
        let unit: Double = magnitude >= 86_400 ? 86_400 : (magnitude >= 3_600 ? 3_600 : 60)
        let whole = max(1, (magnitude / unit).rounded(.down))
        var style = Date.RelativeFormatStyle(presentation: .numeric, unitsStyle: .wide)
        style.locale = locale
        // The style measures from the system clock (a reference date needs iOS 18), so the
        // moment is placed the same distance from it: the whole units plus a quarter unit,
        // which keeps the rounding away from a unit's edge.
        let sign: Double = delta < 0 ? -1 : 1
        return style.format(Date().addingTimeInterval(sign * (whole * unit + unit / 4)))
    }

    /// An amount of money as the locale writes it, from the core's canonical decimal ("1200",
    /// "15.5") and ISO 4217 code: "SGD 1,200", "1.200 SGD", "S$15.50" (en_SG). A whole amount
    /// has no fraction digits; any other has the currency's usual number. A code the platform does
    /// not know reads "1,200 XYZ"; text that is not a decimal is shown as the core sent it.
    public static func money(amount: String, currency: String, locale: Locale = .autoupdatingCurrent) -> String {
        guard let value = Decimal(string: amount, locale: Locale(identifier: "en_US_POSIX")),
              amount.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" })
        else { return "\(amount) \(currency)" }
        guard Locale.commonISOCurrencyCodes.contains(currency) else {
            return value.formatted(.number.locale(locale)) + " " + currency
        }
        let style = Decimal.FormatStyle.Currency(code: currency, locale: locale)
        // The core writes no trailing fraction zeros: no point means a whole amount.
        return amount.contains(".") ? value.formatted(style) : value.formatted(style.precision(.fractionLength(0)))
    }

    /// A time window (unix seconds) as the locale writes a range of dates and times:
    /// "Sat, May 30, 7:00 – 8:00 AM".
    public static func window(start: UnixTime, end: UnixTime, locale: Locale = .autoupdatingCurrent, timeZone: TimeZone = .autoupdatingCurrent) -> String {
        let from = Date(timeIntervalSince1970: TimeInterval(start))
        let to = Date(timeIntervalSince1970: TimeInterval(max(start, end)))
        let f = DateIntervalFormatter()
        f.locale = locale
        f.timeZone = timeZone
        f.dateTemplate = "MMMEdjm"
        return f.string(from: from, to: to)
    }

    /// A term's value in the locale's words (see `TermRow`).
    public static func term(_ v: TermValue, locale: Locale = .autoupdatingCurrent, timeZone: TimeZone = .autoupdatingCurrent) -> String {
        switch v {
        case let .text(text): text
        case let .number(value): number(value, locale: locale)
        case let .money(amount, currency): money(amount: amount, currency: currency, locale: locale)
        case let .choice(_, label): label
        case let .place(name, geohash): name.isEmpty ? (geohash ?? "") : name
        case let .items(items): items.joined(separator: ", ")
        case let .window(start, end): window(start: start, end: end, locale: locale, timeZone: timeZone)
        case let .flag(value): value ? NSLocalizedString("Yes", comment: "") : NSLocalizedString("No", comment: "")
        }
    }

    /// `text` isolated left to right (U+2066 LEFT-TO-RIGHT ISOLATE … U+2069 POP DIRECTIONAL
    /// ISOLATE): a phone number, an npub, a meet code or a relay address put into a sentence
    /// reads left to right in Arabic, Persian and Urdu ("+65••••4321", not "4321••••65+") and does
    /// not pull the words around it. Invisible in left-to-right text.
    public static func ltr(_ text: String) -> String {
        "\u{2066}\(text)\u{2069}"
    }
}
