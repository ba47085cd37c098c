//! The CLI's English: the one place where the core's typed values and codes become words.
//!
//! The core decides (states, actions, verdicts, reasons, refusals, violations) and says so with
//! enums and codes with parameters; the phone apps word the same codes through their string
//! resources, and this module words them for the terminal. Nothing else in the CLI turns a code
//! into text, and `--json` prints the codes themselves.

use freeport_core::app::{
    AppError, Badge, CancelReason, CheckinAction, CheckinAlert, CheckinDelivery, CheckinState,
    DealAction, DealRole, DealState, FieldViolation, Format, IntentSide, MeetStep, NoticeKind,
    Party, PhoneStatus, Reason, Refusal, RefusalCode, Rule, TermValue, TermView, ValueKind,
    Verdict, refusal_of,
};
use freeport_core::contact::PhoneProblem;
use freeport_core::meet::{CodeKind, CodeProblem, humane_duration};
use freeport_core::negotiation::NegotiationError;
use freeport_core::protocol::receipt::DealTier;

/// `1 deal`, `3 deals`.
fn count(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn state(s: DealState) -> &'static str {
    match s {
        DealState::Open => "open",
        DealState::AcceptedByUs => "accepted by you, waiting for them",
        DealState::AcceptedByThem => "accepted by them, your turn",
        DealState::Confirmed => "confirmed",
        DealState::CancelRequestedByUs => "you asked to cancel",
        DealState::CancelRequestedByThem => "they ask to cancel",
        DealState::Met => "met",
        DealState::Completed => "completed",
        DealState::Cancelled => "cancelled",
        DealState::Expired => "expired",
    }
}

pub fn role(r: DealRole) -> &'static str {
    match r {
        DealRole::Owner => "owner",
        DealRole::Responder => "responder",
    }
}

pub fn party(p: Party) -> &'static str {
    match p {
        Party::Us => "you",
        Party::Them => "them",
    }
}

pub fn side(s: IntentSide) -> &'static str {
    match s {
        IntentSide::Offer => "offer",
        IntentSide::Request => "request",
    }
}

/// An action as the command that makes it.
pub fn action(a: DealAction) -> &'static str {
    match a {
        DealAction::Accept => "accept",
        DealAction::Pick => "pick",
        DealAction::Counter => "counter",
        DealAction::Cancel => "cancel",
        DealAction::RequestCancel => "cancel --request",
        DealAction::AgreeCancel => "cancel --agree",
        DealAction::DeclineCancel => "cancel --decline",
        DealAction::ShowCode => "meet show",
        DealAction::ScanCode => "meet scan",
        DealAction::Rate => "rate",
        DealAction::Chat => "chat",
        DealAction::MarkPickedUp => "stage picked-up",
        DealAction::MarkCompleted => "stage completed",
    }
}

pub fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Trusted => "trusted",
        Verdict::Caution => "caution",
        Verdict::Unknown => "unknown",
        Verdict::Warning => "warning",
    }
}

/// `★ 12 deals · 9 partners · 3 in your network · verified by 9 · new account`.
pub fn badge(b: &Badge) -> String {
    let mut out = String::new();
    if b.verdict == Verdict::Trusted {
        out.push_str("★ ");
    }
    out.push_str(&format!(
        "{} · {} · {} in your network",
        count(b.deals, "deal", "deals"),
        count(b.partners, "partner", "partners"),
        b.partners_in_network
    ));
    if b.verified_by > 0 {
        out.push_str(&format!(" · verified by {}", b.verified_by));
    }
    if b.new_account {
        out.push_str(" · new account");
    }
    out
}

pub fn reason(r: &Reason) -> String {
    match r {
        Reason::ReportedUnsafe => "people in your network reported feeling unsafe".into(),
        Reason::ReportedUnreliable => "people in your network reported reliability problems".into(),
        Reason::NoRatingsFromNetwork => "no ratings from your network".into(),
        Reason::RatingsOutsideNetwork { count: n } => format!(
            "{} from outside your network (little weight)",
            count(*n, "rating", "ratings")
        ),
        Reason::RatedWellInNetwork { count: n } => format!(
            "rated well by {} in your network",
            count(*n, "person", "people")
        ),
        Reason::FewRatingsFromNetwork => "few ratings from your network".into(),
        Reason::NewAccount { days } => format!(
            "new account (no activity older than {})",
            count(*days, "day", "days")
        ),
    }
}

pub fn phone_status(p: PhoneStatus) -> String {
    match p {
        PhoneStatus::NotPublished => "no phone published".into(),
        PhoneStatus::NotVerified => "not verified yet".into(),
        PhoneStatus::VerifiedBy { count } => format!("verified by {count}"),
    }
}

pub fn tier(t: DealTier) -> &'static str {
    match t {
        DealTier::OneSided => "one-sided",
        DealTier::Proven => "proven",
        DealTier::Met => "met",
    }
}

pub fn cancel_reason(r: &CancelReason) -> String {
    match r {
        CancelReason::NotGiven => "no reason given".into(),
        CancelReason::Filled => "filled — taken by another offer".into(),
        CancelReason::Withdrawn => "the intent was withdrawn".into(),
        CancelReason::Said { text } => format!("“{text}”"),
    }
}

/// A state inside a sentence: `the deal is confirmed`.
fn deal_is(s: DealState) -> String {
    format!("the deal is {}", state(s))
}

pub fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::NotYourTurn => {
            "the terms on the table are your own proposal; wait for their answer".into()
        }
        Refusal::NoRoundsLeft { cap } => {
            format!("all {cap} counter-offers of this negotiation are used; accept or cancel")
        }
        Refusal::NoChange => "the counter-offer proposes the terms already on the table".into(),
        Refusal::IntentExpired => "the intent expired".into(),
        Refusal::DealClosed { state: s } => format!("{}; it is over", deal_is(*s)),
        Refusal::AlreadyMet => "you already met: nothing undoes that".into(),
        Refusal::NotNow {
            action: a,
            state: s,
        } => match a {
            Some(DealAction::ShowCode | DealAction::ScanCode) => {
                format!("a meet code is for a confirmed deal; {}", deal_is(*s))
            }
            Some(DealAction::Rate) => {
                format!("only a confirmed or met deal can be rated; {}", deal_is(*s))
            }
            Some(DealAction::RequestCancel) => format!(
                "only a confirmed deal needs their agreement to cancel; {}",
                deal_is(*s)
            ),
            Some(DealAction::AgreeCancel | DealAction::DeclineCancel) => {
                format!("there is no request to cancel to answer; {}", deal_is(*s))
            }
            Some(a) => format!("`{}` is not possible now; {}", action(*a), deal_is(*s)),
            None => format!("not possible now; {}", deal_is(*s)),
        },
        Refusal::AlreadyPicked => "another quote on this intent is already picked".into(),
        Refusal::TooManyQuotes { limit } => {
            format!("this intent already has {limit} negotiations")
        }
        Refusal::OwnIntent => "this is your own intent".into(),
        Refusal::IntentWithdrawn => "the intent was withdrawn".into(),
        Refusal::AlreadyResponded { state: s } => {
            format!("you already negotiate on this intent ({})", state(*s))
        }
        Refusal::OwnerOnly => "only the intent's owner can do that".into(),
        Refusal::AuthorOnly => "only the author can withdraw an intent".into(),
        Refusal::AlreadyRated => "you already rated this deal".into(),
        Refusal::NoContactToAttest => "they never sent a contact to attest".into(),
        Refusal::NoCodeShown => "this device has not shown a code for that deal".into(),
        Refusal::IdentityExists => "an identity already exists here".into(),
        Refusal::Blocked => "you blocked them; unblock the key first".into(),
        Refusal::CheckinNeedsConfirmedDeal { state: s } => {
            format!("a check-in is for a confirmed deal; {}", deal_is(*s))
        }
        Refusal::CheckinOpen => {
            "this deal already has an open check-in: extend it, say you are safe, or cancel it"
                .into()
        }
        Refusal::NoCheckin => "there is no open check-in for this deal".into(),
        Refusal::CheckinClosed { state: s } => {
            format!("the check-in is over ({})", checkin_state(*s))
        }
        Refusal::NoTrustedContacts => {
            "you have no trusted contact yet: `freeport contacts add NPUB`".into()
        }
        Refusal::NotATrustedContact { npub } => {
            format!("{npub} is not one of your trusted contacts (`freeport contacts add`)")
        }
        Refusal::TooManyTrustedContacts { max } => {
            format!("you already keep {max} trusted contacts; remove one first")
        }
        Refusal::ContactIsCounterparty => {
            "a check-in never goes to the person you are meeting".into()
        }
        Refusal::NoCheckinPins => "no check-in PINs are set".into(),
        Refusal::WrongPin => "that is not your check-in PIN".into(),
    }
}

/// A check-in's state.
pub fn checkin_state(s: CheckinState) -> &'static str {
    match s {
        CheckinState::Planned => "planned",
        CheckinState::Active => "active",
        CheckinState::Overdue => "OVERDUE",
        CheckinState::Safe => "safe",
        CheckinState::Duress => "DURESS — not OK",
        CheckinState::Cancelled => "cancelled",
    }
}

/// A check-in action as the command that makes it.
pub fn checkin_action(a: CheckinAction) -> &'static str {
    match a {
        CheckinAction::Share => "checkin share",
        CheckinAction::Extend => "checkin extend",
        CheckinAction::Safe => "checkin safe",
        CheckinAction::Cancel => "checkin cancel",
    }
}

pub fn delivery(d: CheckinDelivery, unsent: u32) -> String {
    match d {
        CheckinDelivery::Sent => "sent".into(),
        CheckinDelivery::NotYetSent => format!(
            "not yet sent: {} waiting in the outbox (sent as soon as a relay is reachable)",
            count(unsent, "message", "messages")
        ),
    }
}

/// Unix seconds as `2025-06-01 14:30 UTC`.
pub fn time(t: u64) -> String {
    let days = i64::try_from(t / 86_400).unwrap_or(i64::MAX);
    let secs = t % 86_400;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        (secs % 3600) / 60
    )
}

/// `in 2 hours` / `5 minutes ago`.
pub fn relative(t: u64, now: u64) -> String {
    if t >= now {
        format!("in {}", humane_duration(t - now))
    } else {
        format!("{} ago", humane_duration(now - t))
    }
}

/// Who is met, as a contact needs it: name, key, masked phone, the card the user saw.
pub fn meeting(m: &freeport_core::app::CheckinMeetingView) -> String {
    let s = &m.screening;
    let mut out = m.name.clone().unwrap_or_else(|| "(no name)".into());
    out.push_str(&format!(" · {}", m.npub));
    if let Some(p) = &m.phone {
        out.push_str(&format!(" · phone {p}"));
    }
    out.push_str(&format!(
        " · {} · {} · {} in their network · verified by {} [{}]",
        count(s.deals, "deal", "deals"),
        count(s.partners, "partner", "partners"),
        s.partners_in_network,
        s.verified_by,
        verdict(s.verdict)
    ));
    out
}

/// One term as a line: `Price: SGD 1,200`, `Condition: Like new`, `From: Bishan (geohash w21zf)`.
pub fn term(t: &TermView) -> String {
    format!("{}: {}", t.label, term_value(&t.value))
}

/// A term's value in English.
pub fn term_value(v: &TermValue) -> String {
    match v {
        TermValue::Text { text } => text.clone(),
        TermValue::Number { value } => grouped_number(&number(*value)),
        TermValue::Money { amount, currency } => format!("{currency} {}", grouped_number(amount)),
        TermValue::Choice { label, .. } => label.clone(),
        TermValue::Place { name, geohash } => place(
            Some(name.as_str()).filter(|n| !n.is_empty()),
            geohash.as_deref(),
        ),
        TermValue::Items { items } => items.join(", "),
        TermValue::Window { start, end } => window(*start, *end),
        TermValue::Flag { value } => (if *value { "yes" } else { "no" }).into(),
    }
}

/// `2025-06-01 14:30 UTC to 15:30` (the end's date only when it is another day).
pub fn window(start: u64, end: u64) -> String {
    let (a, b) = (time(start), time(end));
    match (a.get(..10), b.get(..10)) {
        (Some(da), Some(db)) if da == db && end >= start => {
            format!("{} to {}", a, b.get(11..16).unwrap_or(&b))
        }
        _ => format!("{a} to {b}"),
    }
}

/// A plain decimal ("1200.5") with English thousands separators ("1,200.5").
fn grouped_number(decimal: &str) -> String {
    let (sign, rest) = match decimal.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", decimal),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    if !int.chars().all(|c| c.is_ascii_digit()) {
        return decimal.to_string();
    }
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{out}")
    } else {
        format!("{sign}{out}.{frac}")
    }
}

/// Where, as given.
pub fn place(name: Option<&str>, geohash: Option<&str>) -> String {
    match (name, geohash) {
        (Some(n), Some(g)) => format!("{n} (geohash {g})"),
        (Some(n), None) => n.to_string(),
        (None, Some(g)) => format!("geohash {g}"),
        (None, None) => "(no place given)".into(),
    }
}

fn alert_line(what: &str, a: &CheckinAlert) -> String {
    let who = a.from.name.clone().unwrap_or_else(|| a.from.npub.clone());
    format!(
        "{what}: {who} · meeting {} · at {} · deadline {}",
        meeting(&a.meeting),
        place(a.place_name.as_deref(), a.geohash.as_deref()),
        time(a.deadline)
    )
}

/// What a notice says.
pub fn notice(k: &NoticeKind) -> String {
    match k {
        NoticeKind::NewQuote {
            accepted_as_posted: true,
        } => "new quote: accepted as posted".into(),
        NoticeKind::NewQuote { .. } => "new quote: other terms proposed".into(),
        NoticeKind::Counter => "counter-offer".into(),
        NoticeKind::Accepted => "they accepted; your turn to confirm".into(),
        NoticeKind::Confirmed => "deal confirmed".into(),
        NoticeKind::CancelRequested => "they ask to cancel".into(),
        NoticeKind::ChatMessage => "new message in the deal's chat".into(),
        NoticeKind::Cancelled => "cancelled by them".into(),
        NoticeKind::Filled => "filled: they took another offer".into(),
        NoticeKind::Meet {
            step: MeetStep::ScannedYourCode,
        } => "met: they scanned your code".into(),
        NoticeKind::Meet { .. } => "met: recorded on both phones".into(),
        NoticeKind::RatingReceived { safe, reliable } => {
            let yn = |v: &Option<bool>| match v {
                Some(true) => "yes",
                Some(false) => "no",
                None => "-",
            };
            format!("rated you: safe {} · reliable {}", yn(safe), yn(reliable))
        }
        NoticeKind::CheckinReceived { checkin } => alert_line("check-in shared with you", checkin),
        NoticeKind::CheckinOverdue { checkin } => alert_line(
            "CHECK-IN OVERDUE — no word since the deadline; try to reach them",
            checkin,
        ),
        NoticeKind::CheckinSafe { checkin } => {
            let who = checkin
                .from
                .name
                .clone()
                .unwrap_or_else(|| checkin.from.npub.clone());
            format!("{who} checked in: safe")
        }
        NoticeKind::CheckinDuress { checkin } => {
            alert_line("CHECK-IN UNDER DURESS — they are NOT OK, act now", checkin)
        }
        NoticeKind::CheckinReminder { deadline, .. } => format!(
            "your check-in ends at {}: `freeport checkin safe` or `checkin extend`",
            time(*deadline)
        ),
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Geohash => "a geohash (1–12 characters of 0-9 and b-z without a, i, l, o)",
        Format::CurrencyCode => "a three-letter currency code such as SGD",
        Format::PublicKey => "an npub, an nprofile, 64 hex characters or a nostr: URI",
        Format::Backup => "an ncryptsec1… backup",
        Format::Json => "valid JSON",
        Format::Phone => "a phone number",
        Format::RelayUrl => "a relay address (wss://…)",
        Format::Coordinates => "a latitude in -90..90 and a longitude in -180..180",
        Format::Pattern => "in the format the market asks for",
    }
}

fn kind_name(k: ValueKind) -> &'static str {
    match k {
        ValueKind::Text => "text",
        ValueKind::Number => "a number",
        ValueKind::Integer => "a whole number",
        ValueKind::Boolean => "yes or no",
        ValueKind::List => "a list",
        ValueKind::Object => "a JSON object",
        ValueKind::Null => "empty",
    }
}

fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

pub fn rule(r: &Rule) -> String {
    match r {
        Rule::Required => "required".into(),
        Rule::Blank => "only spaces".into(),
        Rule::TooShort { min } => format!("at least {}", count(*min, "character", "characters")),
        Rule::TooLong { max } => format!("at most {}", count(*max, "character", "characters")),
        Rule::TooLarge { max } => format!("at most {max} bytes"),
        Rule::TooFew { min } => format!("at least {}", count(*min, "item", "items")),
        Rule::TooMany { max } => format!("at most {}", count(*max, "item", "items")),
        Rule::NotANumber => "not a number".into(),
        Rule::BelowMinimum { min } => format!("at least {}", number(*min)),
        Rule::AboveMaximum { max } => format!("at most {}", number(*max)),
        Rule::NotPositive => "must be positive".into(),
        Rule::NotAnOption { options } => format!("must be one of {}", options.join(", ")),
        Rule::BadFormat {
            format: Format::Json,
        } => "not valid JSON".into(),
        Rule::BadFormat { format } => format!("not {}", format_name(*format)),
        Rule::WrongType { expected } => format!("must be {}", kind_name(*expected)),
        Rule::Mismatch => "does not match its confirmation".into(),
        Rule::NotConfirmed => "not confirmed".into(),
        Rule::Unknown => "unknown here".into(),
        Rule::IsSecretKey => {
            "is a secret key (nsec); never share it — enter the public key (npub) instead".into()
        }
        Rule::IsOwnKey => "is your own key".into(),
        Rule::ControlCharacters => {
            "contains control characters (only line breaks and tabs are allowed)".into()
        }
        Rule::EndBeforeStart => "ends before it starts".into(),
        Rule::InThePast => "is already over".into(),
        Rule::Invalid => "not accepted".into(),
        Rule::Schema { keyword } => format!("breaks the market's `{keyword}` rule"),
        Rule::TooSoon { min_secs } => {
            format!("must be at least {} from now", humane_duration(*min_secs))
        }
        Rule::TooFarAhead { max_secs } => {
            format!("must be at most {} from now", humane_duration(*max_secs))
        }
        Rule::MustDiffer { from } => format!("must differ from {from}"),
    }
}

/// `title: at most 200 characters`; payload fields read `payload /from/geohash: …`.
pub fn violation(v: &FieldViolation) -> String {
    let field = if v.field.starts_with('/') {
        format!("payload {}", v.field)
    } else {
        v.field.clone()
    };
    format!("{field}: {}", rule(&v.rule))
}

pub fn violations(v: &[FieldViolation]) -> String {
    v.iter().map(violation).collect::<Vec<_>>().join("; ")
}

fn code_kind(k: CodeKind) -> &'static str {
    match k {
        CodeKind::Meet => "meetup code",
        CodeKind::Return => "return code",
    }
}

pub fn code_problem(p: &CodeProblem) -> String {
    match p {
        CodeProblem::NotFreeport => "This is not a Freeport code".into(),
        CodeProblem::WrongKind {
            expected: CodeKind::Meet,
            found: CodeKind::Return,
        } => "This is a return code — scan the meetup code on the other phone".into(),
        CodeProblem::WrongKind {
            expected: CodeKind::Return,
            found: CodeKind::Meet,
        } => "This is a meetup code — scan the return code the other phone shows after scanning yours"
            .into(),
        CodeProblem::WrongKind { expected, found } => format!(
            "This is a {}, not a {}",
            code_kind(*found),
            code_kind(*expected)
        ),
        CodeProblem::NewerVersion => {
            "This code was made by a newer version of Freeport — update the app to read it".into()
        }
        CodeProblem::Incomplete {
            expected_chars,
            found_chars,
        } => format!(
            "This code is incomplete — scan it again, or copy the whole code ({found_chars} of {expected_chars} characters)"
        ),
        CodeProblem::ExtraCharacters => {
            "This code has extra characters at the end — copy only the code".into()
        }
        CodeProblem::BadCharacter => {
            "This code contains a character that does not belong in it — scan it again".into()
        }
        CodeProblem::Damaged => "This code is damaged — scan it again".into(),
        CodeProblem::DifferentDeal => "This code belongs to a different deal".into(),
        CodeProblem::OwnCode => "This is your own code — the other person should scan it".into(),
        CodeProblem::NotTheirCode => {
            "This code was not made by the person you made this deal with".into()
        }
        CodeProblem::Tampered => {
            "This code is damaged or has been tampered with — ask them to show a fresh one".into()
        }
        CodeProblem::Expired { ago_secs } => format!(
            "This code expired {} ago — ask them to refresh it",
            humane_duration(*ago_secs)
        ),
        CodeProblem::FromFuture { ahead_secs } => format!(
            "This code is dated {} in the future — check the time on both phones",
            humane_duration(*ahead_secs)
        ),
        CodeProblem::AlreadyUsed => "This code was already used".into(),
        CodeProblem::UnknownReturn => {
            "This return code does not match a code you showed recently — show a fresh code".into()
        }
        CodeProblem::ClockWrong => "This phone's clock is wrong — check the date and time".into(),
        CodeProblem::NoCode => {
            "No code found — hold the phone steady and fill the frame with the code".into()
        }
        CodeProblem::BadImage => "This picture cannot be read".into(),
    }
}

pub fn phone_problem(p: &PhoneProblem) -> String {
    let body = match p {
        PhoneProblem::Empty => "it is empty".into(),
        PhoneProblem::InputTooLong { max } => format!("at most {max} characters"),
        PhoneProblem::UnexpectedCharacter {
            character,
            position,
        } => format!(
            "unexpected character {character:?} at position {position} (allowed: digits, a leading +, spaces, . - ( ) /)"
        ),
        PhoneProblem::UnknownRegion { region } => {
            format!("`{region}` is not a known region code (such as \"VN\")")
        }
        PhoneProblem::MissingCountryCode => {
            "a national number needs a country: start with + and the country code".into()
        }
        PhoneProblem::UnknownCountryCode { leading } => {
            format!("unknown country code (number starts +{leading})")
        }
        PhoneProblem::NotANumber { digits } => {
            format!(
                "not a phone number: only {}",
                count(*digits, "digit", "digits")
            )
        }
        PhoneProblem::TooShort {
            country_code,
            digits,
            min,
        } => {
            format!("too short for +{country_code}: {digits} national digits, needs at least {min}")
        }
        PhoneProblem::TooLong {
            country_code,
            digits,
            max,
        } => format!("too long for +{country_code}: {digits} national digits, at most {max}"),
        PhoneProblem::WrongLength {
            country_code,
            digits,
            allowed,
        } => format!(
            "wrong length for +{country_code}: {digits} national digits; valid lengths are {}",
            allowed
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        PhoneProblem::NotAssigned { country_code } => {
            format!("not a valid number for +{country_code}")
        }
        PhoneProblem::TooManyDigits { max } => format!("too long: at most {max} digits"),
        PhoneProblem::NoPhoneInContact => "the contact has no phone number".into(),
        PhoneProblem::ContactTooLong { max } => format!("the contact is over {max} bytes"),
    };
    format!("phone number: {body}")
}

/// Why a message from a counterparty was refused (`field`: the offending field, if known).
pub fn refusal_code(code: RefusalCode, field: Option<&str>) -> String {
    let field = field.unwrap_or("a field");
    match code {
        RefusalCode::NotFreeport => "not a Freeport negotiation message".into(),
        RefusalCode::Malformed => format!("malformed: `{field}` breaks the format"),
        RefusalCode::NotForUs => "about a deal or intent that is not theirs to touch".into(),
        RefusalCode::UnknownDeal => "about a deal this device does not have".into(),
        RefusalCode::BadOpening => "a new deal must open with a counter or an accept".into(),
        RefusalCode::StaleAccept => {
            "they accepted terms that are not the ones on the table (crossed a counter)".into()
        }
        RefusalCode::NotAllowedNow => "not possible in the deal's current state".into(),
        RefusalCode::Closed => "the deal is already cancelled or expired".into(),
        RefusalCode::Irreversible => "it would undo a deal that was met or completed".into(),
        RefusalCode::RoundCapReached => "the 8 counters of this deal are used up".into(),
        RefusalCode::Expired => "the intent expired".into(),
        RefusalCode::TooManyMessages => "too many messages on one deal".into(),
        RefusalCode::ThreadLimit => "too many responders on this intent".into(),
        RefusalCode::ChatFull => "this deal's chat is full".into(),
        RefusalCode::NotAContact => {
            "a check-in from someone who is not one of your trusted contacts".into()
        }
        RefusalCode::Stale => "a check-in that ended long ago (a replay)".into(),
    }
}

/// One line for an error of the core: the codes in words, anything else as the core says it.
pub fn error(e: &AppError) -> String {
    match e {
        AppError::NotPossible { what, why } => format!("{what} is not possible: {}", refusal(why)),
        AppError::InvalidInput { violations: v } => format!("invalid input: {}", violations(v)),
        AppError::Meet(m) => match m.problem() {
            Some(p) => code_problem(&p),
            None => m.to_string(),
        },
        AppError::Store(freeport_core::store::StoreError::NonceUsed { .. }) => {
            code_problem(&CodeProblem::AlreadyUsed)
        }
        AppError::Phone(p) => phone_problem(&p.problem()),
        AppError::Contact(c) => phone_problem(&c.problem()),
        AppError::Negotiation(n) => negotiation(n),
        AppError::Identity(freeport_core::identity::IdentityError::WeakPassphrase {
            violations: v,
        }) => format!("invalid input: {}", violations(v)),
        other => other.to_string(),
    }
}

fn negotiation(n: &NegotiationError) -> String {
    match refusal_of(n) {
        Some(r) => format!("not possible: {}", refusal(&r)),
        None => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(label: &str, value: TermValue) -> TermView {
        TermView {
            path: format!("/{}", label.to_lowercase()),
            label: label.into(),
            value,
            edit_text: None,
            options: Vec::new(),
        }
    }

    #[test]
    fn terms_read_as_english() {
        let money = |a: &str, c: &str| TermValue::Money {
            amount: a.into(),
            currency: c.into(),
        };
        for (v, want) in [
            (money("1200", "SGD"), "Price: SGD 1,200"),
            (money("1234567.5", "VND"), "Price: VND 1,234,567.5"),
            (money("0", "EUR"), "Price: EUR 0"),
            (money("15", "SGD"), "Price: SGD 15"),
            (TermValue::Number { value: 45.0 }, "Price: 45"),
            (TermValue::Number { value: 12500.25 }, "Price: 12,500.25"),
            (
                TermValue::Choice {
                    value: "like_new".into(),
                    label: "Like new".into(),
                },
                "Price: Like new",
            ),
            (
                TermValue::Place {
                    name: "Bishan".into(),
                    geohash: Some("w21zf".into()),
                },
                "Price: Bishan (geohash w21zf)",
            ),
            (
                TermValue::Place {
                    name: String::new(),
                    geohash: Some("w21zf".into()),
                },
                "Price: geohash w21zf",
            ),
            (
                TermValue::Items {
                    items: vec!["a".into(), "b".into()],
                },
                "Price: a, b",
            ),
            (TermValue::Flag { value: true }, "Price: yes"),
            (
                TermValue::Window {
                    start: 1_767_000_000,
                    end: 1_767_003_600,
                },
                "Price: 2025-12-29 09:20 UTC to 10:20",
            ),
            (
                TermValue::Window {
                    start: 1_767_000_000,
                    end: 1_767_100_000,
                },
                "Price: 2025-12-29 09:20 UTC to 2025-12-30 13:06 UTC",
            ),
        ] {
            assert_eq!(term(&t("Price", v)), want);
        }
        assert_eq!(grouped_number("-1234"), "-1,234");
        assert_eq!(grouped_number("999"), "999");
        assert_eq!(grouped_number("1e9"), "1e9");
    }
}
