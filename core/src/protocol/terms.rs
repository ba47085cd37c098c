//! Terms and payloads typed for display: each top-level value of an intent's payload or of a
//! deal's terms becomes a [`TermView`] — a label and a typed [`TermValue`] (an amount of money
//! in a currency, a select's option, a place, a time window…) — so screens format each kind
//! for their locale and never parse JSON themselves.
//!
//! The market's form gives the order, the labels and the kinds: a `number` field with a
//! `currency` hint is an amount in the currency its currency field names (the currency field is
//! then not listed on its own); a `select` value is shown by its option's label. The reference
//! client's free-text `payment` (and `price`) strings become money when [`Money::parse`] reads
//! them to an ISO 4217 code ("SGD 15", "S$15", "15 000₫"); an ambiguous symbol ("$15") or any
//! other text stays text exactly as typed. Keys the form does not have follow in the object's order.
//!
//! Pure: no I/O, and no input makes it panic (malformed JSON is an empty list).

use serde::Serialize;
use serde_json::{Map, Value};

use super::form::{escape_token, unescape_token};
use super::market::{FormField, FormOption, InputKind, Market};
use super::tolerant::Money;

/// Most terms listed for one payload or terms object (the envelope allows fewer keys).
const MAX_TERMS: usize = 64;
/// Longest text kept in one term value (characters); longer text is cut with "…".
const MAX_TEXT_CHARS: usize = 4000;

/// One term of an intent's payload or a deal's terms, typed for display.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct TermView {
    /// JSON pointer of the value (`/price`); a counter-offer's entry for this term uses it.
    pub path: String,
    /// The market form's label for the field ("Price"; in the user's language for the markets
    /// we ship, once the app has set its locales — `App::set_locales`). A key the form does not
    /// have is labelled by the key itself, humanised (`duration_minutes` → "Duration minutes"):
    /// the payload author's word, not a translated string.
    pub label: String,
    /// The value, typed.
    pub value: TermValue,
    /// The value as a counter-offer's text entry for `path` takes it ("1200", "SGD 15", a
    /// place's name, one image address per line); `None` when text cannot edit it (a time
    /// window, a yes/no, a structure).
    pub edit_text: Option<String>,
    /// The choices a counter-offer picks from for a `select` field (values as the payload
    /// writes them, labels in the user's language); empty when the value is typed freely.
    pub options: Vec<FormOption>,
}

/// A term's value, by kind: screens format each for their locale.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Enum)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TermValue {
    /// Text, shown as its author wrote it.
    Text {
        /// The text.
        text: String,
    },
    /// A number without a unit the core knows.
    Number {
        /// The number.
        value: f64,
    },
    /// An amount of money.
    Money {
        /// Canonical decimal: ASCII digits, `.` as the point, no grouping, no trailing
        /// fraction zeros ("1200", "15.5", "0").
        amount: String,
        /// ISO 4217 code ("SGD").
        currency: String,
    },
    /// One option of a select field.
    Choice {
        /// The value written in the payload (`like_new`).
        value: String,
        /// The option's label in the market ("Like new").
        label: String,
    },
    /// A place.
    Place {
        /// Its name.
        name: String,
        /// Its geohash, when given (the reference client sends bare names in negotiations).
        geohash: Option<String>,
    },
    /// A list (image addresses, …).
    Items {
        /// The items as text.
        items: Vec<String>,
    },
    /// A time window (unix seconds).
    Window {
        /// Start.
        start: u64,
        /// End.
        end: u64,
    },
    /// Yes or no.
    Flag {
        /// The value.
        value: bool,
    },
}

/// The typed terms of a JSON object's text (an intent's payload, a deal's terms), with the
/// labels, order and kinds of `market`'s form when known. Anything but a JSON object is an
/// empty list.
#[cfg(test)]
pub fn term_views_of_json(market: Option<&Market>, json: &str) -> Vec<TermView> {
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => term_views(market, &map),
        _ => Vec::new(),
    }
}

/// The typed terms of `object`: the form's fields first, in its order, then the keys it does
/// not have, in the object's order (a deal's terms are kept sorted by key). `null` values are left out.
pub fn term_views(market: Option<&Market>, object: &Map<String, Value>) -> Vec<TermView> {
    let form: &[FormField] = market.map_or(&[], Market::form);
    let root = Value::Object(object.clone());
    // Currency fields folded into an amount (their value is a valid code) are not listed.
    let mut folded: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for f in form {
        let Some(v) = root.pointer(&f.path).filter(|v| !v.is_null()) else {
            continue;
        };
        let currency = f
            .currency
            .as_deref()
            .and_then(|p| root.pointer(p).and_then(Value::as_str).map(|c| (p, c)))
            .filter(|(_, c)| is_currency_code(c));
        let (value, edit_text) = match (f.input, v, currency) {
            (InputKind::Number, Value::Number(n), Some((pointer, code))) => match n.as_f64() {
                Some(x) => {
                    folded.push(pointer);
                    let amount = decimal(x);
                    (
                        TermValue::Money {
                            amount: amount.clone(),
                            currency: code.to_string(),
                        },
                        Some(amount),
                    )
                }
                None => typed(&f.path, v),
            },
            (InputKind::Select, Value::String(s), _) => {
                match f.options.iter().find(|o| o.value == *s) {
                    Some(o) => (
                        TermValue::Choice {
                            value: o.value.clone(),
                            label: o.label.clone(),
                        },
                        Some(o.value.clone()),
                    ),
                    None => typed(&f.path, v),
                }
            }
            (InputKind::Location, Value::String(name), _) => (
                TermValue::Place {
                    name: cut(name),
                    geohash: None,
                },
                Some(name.clone()),
            ),
            _ => typed(&f.path, v),
        };
        let options = match f.input {
            InputKind::Select => f.options.clone(),
            _ => Vec::new(),
        };
        out.push(TermView {
            path: f.path.clone(),
            label: f.label.clone(),
            value,
            edit_text,
            options,
        });
    }
    out.retain(|t| !folded.contains(&t.path.as_str()));
    for (key, v) in object {
        if out.len() >= MAX_TERMS {
            break;
        }
        let path = format!("/{}", escape_token(key));
        let covered = form
            .iter()
            .any(|f| f.path == path || f.path.starts_with(&format!("{path}/")));
        if covered || v.is_null() {
            continue;
        }
        let (value, edit_text) = typed(&path, v);
        out.push(TermView {
            label: humanise(key),
            path,
            value,
            edit_text,
            options: Vec::new(),
        });
    }
    out.truncate(MAX_TERMS);
    out
}

/// `true` for a code of the ISO 4217 list (three capital letters the standard assigns).
fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && ISO_4217.binary_search(&code).is_ok()
}

/// A value typed by its JSON shape (and, for `payment`/`price` text, read as money), with its
/// counter-offer text.
fn typed(path: &str, v: &Value) -> (TermValue, Option<String>) {
    let key = path
        .rsplit('/')
        .next()
        .map(unescape_token)
        .unwrap_or_default();
    match v {
        Value::String(s) => {
            if matches!(key.as_str(), "payment" | "price")
                && let Some(m) = Money::parse(s).filter(|m| is_currency_code(&m.currency))
            {
                let amount = if m.fraction.is_empty() {
                    m.units
                } else {
                    format!("{}.{}", m.units, m.fraction)
                };
                return (
                    TermValue::Money {
                        amount,
                        currency: m.currency,
                    },
                    Some(s.clone()),
                );
            }
            (TermValue::Text { text: cut(s) }, Some(s.clone()))
        }
        Value::Number(n) => match n.as_f64() {
            Some(x) => (TermValue::Number { value: x }, Some(decimal(x))),
            None => (
                TermValue::Text {
                    text: n.to_string(),
                },
                Some(n.to_string()),
            ),
        },
        Value::Bool(b) => (TermValue::Flag { value: *b }, None),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().take(MAX_TERMS).map(item_text).collect();
            let edit = items.join("\n");
            (TermValue::Items { items }, Some(edit))
        }
        Value::Object(o) => {
            let u = |k: &str| o.get(k).and_then(Value::as_u64);
            if let (Some(start), Some(end)) = (u("start"), u("end")) {
                return (TermValue::Window { start, end }, None);
            }
            let s = |k: &str| o.get(k).and_then(Value::as_str);
            match (s("name"), s("geohash")) {
                (Some(name), geohash) => (
                    TermValue::Place {
                        name: cut(name),
                        geohash: geohash.map(str::to_string),
                    },
                    Some(name.to_string()),
                ),
                (None, Some(g)) => (
                    TermValue::Place {
                        name: String::new(),
                        geohash: Some(g.to_string()),
                    },
                    None,
                ),
                (None, None) => (
                    TermValue::Text {
                        text: cut(&v.to_string()),
                    },
                    None,
                ),
            }
        }
        Value::Null => (
            TermValue::Text {
                text: String::new(),
            },
            None,
        ),
    }
}

/// One list item as text: a string itself, an image object's `url`, else its JSON.
fn item_text(v: &Value) -> String {
    match v {
        Value::String(s) => cut(s),
        Value::Object(o) => match o.get("url").and_then(Value::as_str) {
            Some(u) => cut(u),
            None => cut(&v.to_string()),
        },
        other => cut(&other.to_string()),
    }
}

/// A JSON number as a canonical decimal: no exponent, no grouping, `.` as the point, no
/// trailing zeros ("1000000000", "15.5", "0").
fn decimal(x: f64) -> String {
    if x == 0.0 {
        return "0".into(); // also -0
    }
    // `Display` for f64 writes the shortest text that reads back exactly, never an exponent.
    x.to_string()
}

/// A key as a label: `_` and `-` as spaces, the first letter capitalised.
fn humanise(key: &str) -> String {
    let spaced: String = key
        .chars()
        .map(|c| if c == '_' || c == '-' { ' ' } else { c })
        .collect();
    let spaced = spaced.trim();
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => key.to_string(),
    }
}

fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_TEXT_CHARS {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(MAX_TEXT_CHARS).collect();
        t.push('…');
        t
    }
}

/// ISO 4217 currency codes in use (sorted, for binary search).
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::market::builtin;
    use serde_json::json;

    fn market(schema: &str) -> &'static Market {
        builtin().by_schema(schema).unwrap()
    }

    fn views(schema: Option<&str>, v: Value) -> Vec<TermView> {
        term_views(schema.map(market), v.as_object().unwrap())
    }

    fn money(amount: &str, currency: &str) -> TermValue {
        TermValue::Money {
            amount: amount.into(),
            currency: currency.into(),
        }
    }

    fn text(t: &str) -> TermValue {
        TermValue::Text { text: t.into() }
    }

    #[test]
    fn the_iso_list_is_sorted_and_known_codes_pass() {
        assert!(ISO_4217.windows(2).all(|w| w[0] < w[1]));
        for c in ["SGD", "VND", "EUR", "USD", "IDR", "NGN", "EGP", "BRL"] {
            assert!(is_currency_code(c), "{c}");
        }
        for c in ["sgd", "BAY", "FOR", "S$", "", "SGDX"] {
            assert!(!is_currency_code(c), "{c}");
        }
    }

    #[test]
    fn goods_price_is_money_in_its_currency_and_the_currency_is_not_repeated() {
        let t = views(
            Some("goods/1"),
            json!({
                "photos": ["https://x/1.jpg", {"url": "https://x/2.jpg"}],
                "currency": "SGD", "price": 1200, "item": "Road bike",
                "condition": "like_new", "notes": "Serviced",
                "location": {"name": "Bishan", "geohash": "w21zf"},
            }),
        );
        let paths: Vec<&str> = t.iter().map(|t| t.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/item",
                "/condition",
                "/price",
                "/location",
                "/notes",
                "/photos"
            ]
        );
        let labels: Vec<&str> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Item",
                "Condition",
                "Price",
                "Hand-over place",
                "Notes",
                "Photos"
            ]
        );
        assert_eq!(t[0].value, text("Road bike"));
        assert_eq!(
            t[1].value,
            TermValue::Choice {
                value: "like_new".into(),
                label: "Like new".into()
            }
        );
        assert_eq!(t[1].edit_text.as_deref(), Some("like_new"));
        // A counter-offer picks the condition from the form's options, never types it.
        let options: Vec<(&str, &str)> = t[1]
            .options
            .iter()
            .map(|o| (o.value.as_str(), o.label.as_str()))
            .collect();
        assert_eq!(
            options,
            [
                ("new", "New"),
                ("like_new", "Like new"),
                ("good", "Good"),
                ("fair", "Fair"),
                ("for_parts", "For parts")
            ]
        );
        assert!(
            t.iter()
                .filter(|x| x.path != "/condition")
                .all(|x| x.options.is_empty())
        );
        assert_eq!(t[2].value, money("1200", "SGD"));
        assert_eq!(t[2].edit_text.as_deref(), Some("1200"));
        assert_eq!(
            t[3].value,
            TermValue::Place {
                name: "Bishan".into(),
                geohash: Some("w21zf".into())
            }
        );
        assert_eq!(t[3].edit_text.as_deref(), Some("Bishan"));
        assert_eq!(
            t[5].value,
            TermValue::Items {
                items: vec!["https://x/1.jpg".into(), "https://x/2.jpg".into()]
            }
        );
        assert_eq!(
            t[5].edit_text.as_deref(),
            Some("https://x/1.jpg\nhttps://x/2.jpg")
        );
    }

    #[test]
    fn goods_amount_edge_cases() {
        for (price, amount) in [
            (json!(0), "0"),
            (json!(0.0), "0"),
            (json!(1e9), "1000000000"),
            (json!(1_000_000_000u64), "1000000000"),
            (json!(15.5), "15.5"),
            (json!(15.50), "15.5"),
            (json!(0.1), "0.1"),
            (json!(1234.05), "1234.05"),
        ] {
            let t = views(Some("goods/1"), json!({"price": price, "currency": "VND"}));
            assert_eq!(t.len(), 1, "{price}");
            assert_eq!(t[0].value, money(amount, "VND"), "{price}");
        }
        // Without a valid currency the price is a number and the currency a line of its own.
        for currency in [json!("sgd"), json!("XYZ"), json!(5), Value::Null] {
            let t = views(
                Some("goods/1"),
                json!({"price": 12, "currency": currency.clone()}),
            );
            assert_eq!(t[0].value, TermValue::Number { value: 12.0 }, "{currency}");
            assert_eq!(t.len(), if currency.is_null() { 1 } else { 2 });
        }
        let t = views(Some("goods/1"), json!({"price": 12}));
        assert_eq!(t[0].value, TermValue::Number { value: 12.0 });
        // A price written as text (a counter from another client) is read like a payment.
        let t = views(
            Some("goods/1"),
            json!({"price": "SGD 12", "currency": "SGD"}),
        );
        assert_eq!(t[0].value, money("12", "SGD"));
        assert_eq!(t[1].value, text("SGD"));
    }

    #[test]
    fn payment_strings_are_money_only_when_the_currency_is_certain() {
        for (s, value) in [
            ("SGD 15", money("15", "SGD")),
            ("S$15", money("15", "SGD")),
            ("S$15.50", money("15.5", "SGD")),
            ("15.00 SGD", money("15", "SGD")),
            ("15 000₫", money("15000", "VND")),
            ("VND 250000", money("250000", "VND")),
            ("1.234,50 €", money("1234.5", "EUR")),
            ("sgd 0", money("0", "SGD")),
            ("RM 30", money("30", "MYR")),
            ("$15", text("$15")),
            ("¥500", text("¥500")),
            ("15", text("15")),
            ("free", text("free")),
            ("SGD 15 or 20", text("SGD 15 or 20")),
            ("Bay 5", text("Bay 5")),
            ("ABC 5", text("ABC 5")),
            ("", text("")),
        ] {
            let t = views(Some("rideshare/1"), json!({"payment": s}));
            assert_eq!(t[0].value, value, "{s}");
            // A counter edits the text exactly as typed.
            assert_eq!(t[0].edit_text.as_deref(), Some(s));
        }
        // Only amount keys are read as money: a note is text whatever it says.
        let t = views(Some("rideshare/1"), json!({"note": "SGD 15"}));
        assert_eq!(t[0].value, text("SGD 15"));
    }

    #[test]
    fn rideshare_and_service_payloads() {
        let t = views(
            Some("rideshare/1"),
            json!({
                "from": {"name": "Hoan Kiem", "geohash": "w7er8u"},
                "to": {"name": "Noi Bai airport", "geohash": "w7g2p1"},
                "category": "car", "payment": "VND 250000", "note": "2 bags",
                "future_field": {"anything": true}
            }),
        );
        let got: Vec<(&str, &str)> = t
            .iter()
            .map(|t| (t.path.as_str(), t.label.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("/from", "From"),
                ("/to", "To"),
                ("/category", "Vehicle"),
                ("/payment", "Payment"),
                ("/note", "Note"),
                ("/future_field", "Future field"),
            ]
        );
        assert_eq!(t[3].value, money("250000", "VND"));
        assert_eq!(t[5].value, text(r#"{"anything":true}"#));
        assert_eq!(t[5].edit_text, None);

        let t = views(
            Some("service/1"),
            json!({
                "location": {"name": "Tiong Bahru", "geohash": "w21z6"},
                "service": "Fix a leaking tap", "category": "plumbing",
                "payment": "SGD 40", "duration_minutes": 45
            }),
        );
        let labels: Vec<&str> = t.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Service",
                "Category",
                "Where",
                "Duration (minutes)",
                "Payment"
            ]
        );
        // Not one of the select's options: shown as the text it is.
        assert_eq!(t[1].value, text("plumbing"));
        assert_eq!(t[3].value, TermValue::Number { value: 45.0 });
        assert_eq!(t[3].edit_text.as_deref(), Some("45"));
        assert_eq!(t[4].value, money("40", "SGD"));
    }

    #[test]
    fn reference_negotiation_terms() {
        // What the reference's one-tap accept and counters carry: bare place names, a window,
        // its own payment formatting, a note.
        let t = views(
            Some("rideshare/1"),
            json!({
                "window": {"start": 1_767_000_000u64, "end": 1_767_000_900u64},
                "payment": "S$15", "from": "Tanjong Pagar MRT", "to": "Changi T3",
                "note": "as posted", "pets": true, "seats": 2
            }),
        );
        let got: Vec<(&str, &str, TermValue)> = t
            .iter()
            .map(|t| (t.path.as_str(), t.label.as_str(), t.value.clone()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "/from",
                    "From",
                    TermValue::Place {
                        name: "Tanjong Pagar MRT".into(),
                        geohash: None
                    }
                ),
                (
                    "/to",
                    "To",
                    TermValue::Place {
                        name: "Changi T3".into(),
                        geohash: None
                    }
                ),
                ("/payment", "Payment", money("15", "SGD")),
                ("/note", "Note", text("as posted")),
                (
                    "/window",
                    "Window",
                    TermValue::Window {
                        start: 1_767_000_000,
                        end: 1_767_000_900
                    }
                ),
                ("/pets", "Pets", TermValue::Flag { value: true }),
                ("/seats", "Seats", TermValue::Number { value: 2.0 }),
            ]
        );
        assert_eq!(t[0].edit_text.as_deref(), Some("Tanjong Pagar MRT"));
        assert_eq!(t[4].edit_text, None);
    }

    #[test]
    fn unknown_markets_and_keys_are_typed_by_shape_and_labelled_by_key() {
        let t = views(
            None,
            json!({
                "a/b": "x", "duration_minutes": 30, "images": ["u", 3, {"w": 1}],
                "payment": "SGD 9", "place": {"geohash": "w21z"}, "skip": null,
                "__": "odd", "big": 1.5e300
            }),
        );
        let got: Vec<(&str, &str)> = t
            .iter()
            .map(|t| (t.path.as_str(), t.label.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("/a~1b", "A/b"),
                ("/duration_minutes", "Duration minutes"),
                ("/images", "Images"),
                ("/payment", "Payment"),
                ("/place", "Place"),
                ("/__", "__"),
                ("/big", "Big"),
            ]
        );
        assert_eq!(
            t[2].value,
            TermValue::Items {
                items: vec!["u".into(), "3".into(), r#"{"w":1}"#.into()]
            }
        );
        assert_eq!(t[3].value, money("9", "SGD"));
        assert_eq!(
            t[4].value,
            TermValue::Place {
                name: String::new(),
                geohash: Some("w21z".into())
            }
        );
        assert!(matches!(t[6].value, TermValue::Number { value } if value == 1.5e300));
    }

    #[test]
    fn malformed_json_is_an_empty_list() {
        for bad in ["", "nope", "[1,2]", "12", "null", "{\"a\":", "\"text\""] {
            assert!(
                term_views_of_json(Some(market("goods/1")), bad).is_empty(),
                "{bad}"
            );
        }
        assert_eq!(term_views_of_json(None, "{}"), Vec::new());
        let t = term_views_of_json(None, r#"{"payment":"SGD 3"}"#);
        assert_eq!(t[0].value, money("3", "SGD"));
    }

    #[test]
    fn huge_input_is_bounded() {
        let mut m = Map::new();
        for i in 0..500 {
            m.insert(format!("k{i:03}"), json!("x".repeat(5000)));
        }
        let t = term_views(None, &m);
        assert_eq!(t.len(), MAX_TERMS);
        let TermValue::Text { text } = &t[0].value else {
            panic!("{:?}", t[0].value)
        };
        assert_eq!(text.chars().count(), MAX_TEXT_CHARS + 1);
    }
}
