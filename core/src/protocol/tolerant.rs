//! Reading the deployed reference client's terms tolerantly, and writing ours in the shape its
//! code expects (FREEPORT-V1.md, "What the deployed reference actually sends in negotiation").
//!
//! The reference writes `from` / `to` / `location` as plain place names, accepts "as posted"
//! with `{"window":…,"note":"as posted"}`, and its one-tap accept carries only the fields the
//! user saw, reformatted by its own UI (`"S$15"` for `"SGD 15"`, a window that keeps the posted
//! start and sets its own end). These functions decide, without I/O, whether such an accept
//! names the terms on the table, and render our terms the way its code reads them.

use serde_json::Value;

use super::envelope::Terms;

/// The note the reference agent puts in an accept of an intent's standing terms.
pub const AS_POSTED_NOTE: &str = "as posted";

/// The terms keys whose value is a place.
pub const PLACE_KEYS: [&str; 3] = ["from", "to", "location"];

/// `true` when `accepted` is the reference agent's "as posted" accept (`note` = "as posted").
pub fn is_as_posted(accepted: &Terms) -> bool {
    accepted
        .get("note")
        .and_then(Value::as_str)
        .is_some_and(|n| n.trim().eq_ignore_ascii_case(AS_POSTED_NOTE))
}

/// `true` when an accept carrying `accepted` names the terms in `table`: every key it carries
/// (other than the "as posted" note) is on the table with an equivalent value (places by name,
/// windows by start, amounts by currency and value), and it carries at least one such key or the
/// "as posted" marker. Keys of the table it leaves out are accepted as they stand (the
/// reference's one-tap accept only repeats the fields its user saw).
pub fn accepts_table(table: &Terms, accepted: &Terms) -> bool {
    let as_posted = is_as_posted(accepted);
    let mut matched = 0usize;
    for (k, v) in accepted.iter() {
        if v.is_null() || (as_posted && k == "note") {
            continue;
        }
        match table.get(k) {
            Some(t) if !t.is_null() && same_value(k, t, v) => matched += 1,
            _ => return false,
        }
    }
    matched > 0 || as_posted
}

/// `true` when `accepted` carries every key of `keys` with a non-null value (the keys the last
/// proposal changed: an accept that crossed that proposal lacks them or has the older value).
pub fn carries_all(accepted: &Terms, keys: &[String]) -> bool {
    keys.iter()
        .all(|k| accepted.get(k).is_some_and(|v| !v.is_null()))
}

/// Equivalence of one terms value as the reference's UI may have rewritten it.
fn same_value(key: &str, table: &Value, accepted: &Value) -> bool {
    if table == accepted {
        return true;
    }
    match key {
        "from" | "to" | "location" => same_place(table, accepted),
        "window" => same_window(table, accepted),
        "payment" => match (table.as_str(), accepted.as_str()) {
            (Some(a), Some(b)) => same_payment(a, b),
            _ => false,
        },
        _ => false,
    }
}

/// The name of a place value: the string itself, or an object's `name`.
pub fn place_name(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s.as_str()),
        Value::Object(m) => m.get("name").and_then(Value::as_str),
        _ => None,
    }
}

/// Two places are the same when their names match (trimmed, case-insensitive) and, when both
/// carry a geohash, the geohashes match too.
pub fn same_place(a: &Value, b: &Value) -> bool {
    let (Some(na), Some(nb)) = (place_name(a), place_name(b)) else {
        return false;
    };
    if na.trim().to_lowercase() != nb.trim().to_lowercase() || na.trim().is_empty() {
        return false;
    }
    let gh = |v: &Value| v.get("geohash").and_then(Value::as_str).map(str::to_string);
    match (gh(a), gh(b)) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(&y),
        _ => true,
    }
}

/// A window matches when it starts at the same second: the reference app's "time unchanged"
/// rule, which keeps the posted start and writes its own end (start + 15 min).
pub fn same_window(table: &Value, accepted: &Value) -> bool {
    let start = |v: &Value| v.get("start").and_then(Value::as_u64);
    match (start(table), start(accepted)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Two payment strings name the same amount: equal after collapsing spaces and case, or both
/// read as the same currency and value (`"SGD 15"`, `"S$15"`, `"15.00 SGD"`).
pub fn same_payment(a: &str, b: &str) -> bool {
    let squash = |s: &str| -> String {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    if squash(a) == squash(b) {
        return true;
    }
    match (Money::parse(a), Money::parse(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// An amount with its currency, as far as it can be read unambiguously from a payment string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// ISO code where the symbol is unambiguous (`S$` → `SGD`), else the symbol itself (`$`).
    pub currency: String,
    /// Integer part without leading zeros.
    pub units: String,
    /// Fraction digits without trailing zeros.
    pub fraction: String,
}

impl Money {
    /// Reads `"SGD 15"`, `"S$15.50"`, `"15 000₫"`, `"1.234,50 €"`. `None` when there is not
    /// exactly one currency and one number.
    pub fn parse(s: &str) -> Option<Money> {
        let s = s.trim();
        if s.is_empty() || s.len() > 64 {
            return None;
        }
        let is_num = |c: char| c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\u{a0}');
        let start = s.find(|c: char| c.is_ascii_digit())?;
        let end = s.rfind(|c: char| c.is_ascii_digit())? + 1;
        let (head, number, tail) = (&s[..start], &s[start..end], &s[end..]);
        if !number.chars().all(is_num) {
            return None;
        }
        let head = head.trim();
        let tail = tail.trim();
        let symbol = match (head.is_empty(), tail.is_empty()) {
            (false, true) => head,
            (true, false) => tail,
            _ => return None,
        };
        let currency = currency_code(symbol)?;
        let (units, fraction) = split_amount(number)?;
        Some(Money {
            currency,
            units,
            fraction,
        })
    }
}

/// The currency a symbol or code names; `None` for anything that is not a currency marker.
fn currency_code(symbol: &str) -> Option<String> {
    let s = symbol.trim();
    let known = match s {
        "S$" | "SG$" => "SGD",
        "US$" => "USD",
        "€" => "EUR",
        "£" => "GBP",
        "₫" | "đ" | "Đ" => "VND",
        "₹" => "INR",
        "฿" => "THB",
        "₱" => "PHP",
        "₩" => "KRW",
        "RM" | "rm" => "MYR",
        "Rp" | "RP" | "rp" => "IDR",
        _ => "",
    };
    if !known.is_empty() {
        return Some(known.to_string());
    }
    if s.len() == 3 && s.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(s.to_ascii_uppercase());
    }
    // Ambiguous single symbols (`$`, `¥`) only match themselves.
    if s.chars().count() == 1 && !s.chars().any(|c| c.is_alphanumeric()) {
        return Some(s.to_string());
    }
    None
}

/// Splits a number written with `.`/`,`/space grouping into integer and fraction digits, with the
/// reference's rule: the rightmost `.` or `,` is the decimal point unless exactly three digits
/// follow it (then it groups thousands).
fn split_amount(number: &str) -> Option<(String, String)> {
    let compact: String = number
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}'))
        .collect();
    let last_sep = compact.rfind(['.', ',']);
    let (int_part, frac_part) = match last_sep {
        Some(i) => {
            let after = &compact[i + 1..];
            if after.len() == 3 && after.chars().all(|c| c.is_ascii_digit()) {
                (compact.as_str(), "")
            } else {
                (&compact[..i], after)
            }
        }
        None => (compact.as_str(), ""),
    };
    if !frac_part.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let units = digits.trim_start_matches('0');
    let units = if units.is_empty() { "0" } else { units };
    Some((
        units.to_string(),
        frac_part.trim_end_matches('0').to_string(),
    ))
}

/// Our terms as the reference's code reads them: place values as their names (its `terms.from`
/// is a string that it puts in a map link and shows as text). Everything else is unchanged.
pub fn wire_terms(terms: &Terms) -> Terms {
    let mut out = Terms::new();
    for (k, v) in terms.iter() {
        let v = if PLACE_KEYS.contains(&k.as_str()) {
            match v {
                Value::Object(_) => place_name(v).map_or_else(|| v.clone(), Value::from),
                _ => v.clone(),
            }
        } else {
            v.clone()
        };
        out = out.with(k, v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn terms(v: Value) -> Terms {
        Terms::from_map(v.as_object().expect("object")).expect("terms")
    }

    fn ride() -> Terms {
        terms(json!({
            "from": {"name": "Tanjong Pagar MRT", "geohash": "w21z74"},
            "to": {"name": "Changi Airport T3", "geohash": "w23b1c"},
            "payment": "SGD 15",
            "window": {"start": 1_767_000_000u64, "end": 1_767_003_600u64},
            "category": "car"
        }))
    }

    #[test]
    fn the_agents_as_posted_accept_names_the_table() {
        let acc = terms(json!({
            "window": {"start": 1_767_000_000u64, "end": 1_767_003_600u64},
            "note": "as posted"
        }));
        assert!(is_as_posted(&acc));
        assert!(accepts_table(&ride(), &acc));
        // Only the note: still "the standing terms".
        assert!(accepts_table(
            &ride(),
            &terms(json!({"note": "As posted "}))
        ));
        // A different window is not the posted one.
        let moved = terms(json!({"window": {"start": 1, "end": 2}, "note": "as posted"}));
        assert!(!accepts_table(&ride(), &moved));
    }

    #[test]
    fn the_apps_one_tap_accept_with_names_and_its_own_formatting_names_the_table() {
        let acc = terms(json!({
            "window": {"start": 1_767_000_000u64, "end": 1_767_000_900u64},
            "payment": "S$15",
            "from": "Tanjong Pagar MRT",
            "to": "changi airport t3"
        }));
        assert!(accepts_table(&ride(), &acc));
        // Another amount, another place, or a key that is not on the table is a new proposal.
        for bad in [
            json!({"payment": "S$14"}),
            json!({"payment": "USD 15"}),
            json!({"from": "Bugis"}),
            json!({"payment": "SGD 15", "pets": true}),
            json!({}),
            json!({"payment": null}),
        ] {
            assert!(!accepts_table(&ride(), &terms(bad.clone())), "{bad}");
        }
        // An object place with another geohash is another place.
        let other = terms(json!({"from": {"name": "Tanjong Pagar MRT", "geohash": "w21z99"}}));
        assert!(!accepts_table(&ride(), &other));
    }

    #[test]
    fn amounts_read_across_formats() {
        for (a, b) in [
            ("SGD 15", "S$15"),
            ("SGD 15", "15.00 SGD"),
            ("sgd 15", "SGD  15"),
            ("VND 150000", "150.000₫"),
            ("1.234,50 €", "EUR 1234.5"),
            ("$20", "$ 20.00"),
        ] {
            assert!(same_payment(a, b), "{a} = {b}");
        }
        for (a, b) in [
            ("SGD 15", "SGD 150"),
            ("$20", "USD 20"),
            ("SGD 15", "15"),
            ("15 or 20 SGD", "SGD 15"),
            ("SGD 1.5", "SGD 15"),
        ] {
            assert!(!same_payment(a, b), "{a} ≠ {b}");
        }
        assert_eq!(Money::parse("free"), None);
        assert_eq!(Money::parse(&"9".repeat(100)), None);
    }

    #[test]
    fn wire_terms_write_places_as_names_and_keep_the_rest() {
        let w = wire_terms(&ride());
        assert_eq!(w.get("from"), Some(&json!("Tanjong Pagar MRT")));
        assert_eq!(w.get("to"), Some(&json!("Changi Airport T3")));
        assert_eq!(w.get("payment"), Some(&json!("SGD 15")));
        assert_eq!(w.get("window"), ride().get("window"));
        // What we send still names our table.
        assert!(accepts_table(&ride(), &w));
    }

    #[test]
    fn carries_all_needs_every_changed_key() {
        let acc = terms(json!({"payment": "SGD 12"}));
        assert!(carries_all(&acc, &["payment".into()]));
        assert!(!carries_all(&acc, &["payment".into(), "note".into()]));
        assert!(carries_all(&acc, &[]));
    }
}
