//! Relay lists: the user's own relay settings (read, write and inbox relays) and other people's
//! published lists (NIP-65 kind 10002, NIP-17 kind 10050), parsed under bounded rules, plus the
//! pure routing decisions built on them. No I/O.
//!
//! Rules for a relay URL (docs/RELAY.md, "Relay lists"):
//! - at most [`MAX_URL_BYTES`] bytes, no whitespace or control characters, one `://`;
//! - `wss://` (TLS); plain `ws://` only to this device (loopback), and only where the policy
//!   allows loopback at all;
//! - a host, no user name or password, no query or fragment, no port 0, DNS labels of at most
//!   63 bytes, no trailing dot;
//! - not a local or private address (RFC 1918, link-local, CGNAT, unique-local, multicast,
//!   documentation ranges, `localhost`, single-label names, `.local`, `.lan`, `.internal`,
//!   `.home.arpa`…) in someone else's list; the user's own settings may name a relay on their
//!   own network (`wss://` only); loopback in someone else's list only when the user's own
//!   settings use a loopback relay (tests, a relay on this machine);
//! - not a Tor `.onion` address (this app does not connect over Tor).
//!
//! URLs are compared in canonical form (lower-case host, default port dropped, no trailing
//! slash), so `wss://Relay.Example.com:443/` and `wss://relay.example.com` are one relay.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use nostr::{Event, EventBuilder, Kind, PublicKey, RelayUrl, Tag, TagKind, Url};
use serde::{Deserialize, Serialize};

/// Kind of a NIP-65 relay list.
pub const KIND_RELAY_LIST: u16 = 10002;
/// Kind of a NIP-17 direct-message inbox list.
pub const KIND_INBOX_RELAYS: u16 = 10050;

/// Longest relay URL accepted (bytes).
pub const MAX_URL_BYTES: usize = 256;
/// Most relays one list of the user's own settings may hold.
pub const MAX_OWN_RELAYS: usize = 16;
/// Most relays kept from one list someone published (the first usable ones, in their order).
pub const MAX_PEER_RELAYS: usize = 8;
/// Most tags examined in one published list event; a longer list is read up to here.
pub const MAX_LIST_TAGS: usize = 256;

/// Which list of the user's settings a relay belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelayRole {
    /// Where we read: public events, mentions of us (NIP-65 `read`).
    Read,
    /// Where we publish our events (NIP-65 `write`).
    Write,
    /// Where others send our direct messages (NIP-17 kind 10050).
    Inbox,
}

impl RelayRole {
    /// Every role, in display order.
    pub const ALL: [RelayRole; 3] = [RelayRole::Read, RelayRole::Write, RelayRole::Inbox];

    /// `read`, `write` or `inbox`.
    pub fn as_str(self) -> &'static str {
        match self {
            RelayRole::Read => "read",
            RelayRole::Write => "write",
            RelayRole::Inbox => "inbox",
        }
    }
}

/// Why a relay URL (or a list) was refused. Codes with parameters; `Display` is the English
/// wording the CLI prints (the apps word them themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum UrlRule {
    /// Nothing was entered.
    #[error("is empty")]
    Empty,
    /// Longer than [`MAX_URL_BYTES`].
    #[error("is longer than {max} bytes")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// Not a URL at all.
    #[error("is not a relay address like wss://relay.example.com")]
    NotAUrl,
    /// A scheme other than `wss://` / `ws://`.
    #[error("must start with wss://")]
    Scheme,
    /// Plain `ws://` to another machine (unencrypted).
    #[error("plain ws:// is only allowed for a relay on this device; use wss://")]
    PlainWs,
    /// A user name or password in the URL.
    #[error("must not contain a user name or password")]
    Credentials,
    /// A loopback, local-network or otherwise non-public address.
    #[error("points to a local or private network address")]
    PrivateAddress,
    /// A Tor onion service.
    #[error("is a Tor .onion address, which this app cannot reach")]
    Onion,
    /// Whitespace, control characters, a query or fragment, port 0, oversized labels…
    #[error("has a shape relay addresses never have (query, fragment, spaces, port 0…)")]
    HostileShape,
    /// The same relay (in canonical form) twice in one list.
    #[error("is already in the list")]
    Duplicate,
    /// Beyond the most relays a list may hold.
    #[error("is beyond the {max} relays a list may hold")]
    TooMany {
        /// The limit.
        max: usize,
    },
    /// A list of the user's settings is empty.
    #[error("the list is empty: at least one relay is needed")]
    ListEmpty,
}

/// Which addresses a URL may point to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Loopback hosts (`127.0.0.0/8`, `::1`, `localhost`), the only hosts plain `ws://` may use.
    pub loopback: bool,
    /// Other local or private network addresses (with `wss://`).
    pub private: bool,
}

impl UrlPolicy {
    /// The user's own settings: their choice, including a relay on this device or their network.
    pub const OWN: UrlPolicy = UrlPolicy {
        loopback: true,
        private: true,
    };

    /// Someone else's list (or a relay hint in a link): public `wss://` relays only; loopback too
    /// when `loopback` (the user's own settings use a loopback relay).
    pub fn others(loopback: bool) -> UrlPolicy {
        UrlPolicy {
            loopback,
            private: false,
        }
    }
}

/// Where an address points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    Loopback,
    Private,
    Public,
}

fn v4_reach(ip: Ipv4Addr) -> Reach {
    let o = ip.octets();
    if ip.is_loopback() {
        return Reach::Loopback;
    }
    let private = o[0] == 0 // "this network"
        || ip.is_private()
        || ip.is_link_local()
        || (o[0] == 100 && (64..128).contains(&o[1])) // CGNAT 100.64/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || ip.is_documentation()
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19)) // benchmarking 198.18/15
        || ip.is_multicast()
        || o[0] >= 240; // reserved and broadcast
    if private {
        Reach::Private
    } else {
        Reach::Public
    }
}

fn v6_reach(ip: Ipv6Addr) -> Reach {
    if ip.is_loopback() {
        return Reach::Loopback;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reach(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in the last 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let o = ip.octets();
        return v4_reach(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    // 6to4 (2002::/16) embeds an IPv4 address in bits 16..48.
    if s[0] == 0x2002 {
        let o = ip.octets();
        return v4_reach(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    let private = ip.is_unspecified()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || s[..6] == [0, 0, 0, 0, 0, 0]; // IPv4-compatible (deprecated) and other ::/96
    if private {
        Reach::Private
    } else {
        Reach::Public
    }
}

/// Names that only resolve on a local network (or never publicly).
const PRIVATE_SUFFIXES: [&str; 11] = [
    ".local",
    ".lan",
    ".home",
    ".internal",
    ".intranet",
    ".corp",
    ".private",
    ".localdomain",
    ".home.arpa",
    ".test",
    ".invalid",
];

fn domain_reach(host: &str) -> Result<Reach, UrlRule> {
    if host.len() > 253 || host.ends_with('.') || host.split('.').any(|l| l.len() > 63) {
        return Err(UrlRule::HostileShape);
    }
    if host.split('.').any(str::is_empty) {
        return Err(UrlRule::HostileShape);
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return Ok(Reach::Loopback);
    }
    if host.ends_with(".onion") {
        return Err(UrlRule::Onion);
    }
    if !host.contains('.') || PRIVATE_SUFFIXES.iter().any(|s| host.ends_with(s)) {
        return Ok(Reach::Private);
    }
    Ok(Reach::Public)
}

/// Checks one relay URL under `policy` and returns it in canonical form.
pub fn check_relay_url(raw: &str, policy: UrlPolicy) -> Result<RelayUrl, UrlRule> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(UrlRule::Empty);
    }
    if s.len() > MAX_URL_BYTES {
        return Err(UrlRule::TooLong { max: MAX_URL_BYTES });
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) || s.matches("://").count() > 1 {
        return Err(UrlRule::HostileShape);
    }
    let (scheme, _) = s.split_once("://").ok_or(UrlRule::NotAUrl)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "wss" && scheme != "ws" {
        return Err(UrlRule::Scheme);
    }
    let url = Url::parse(s).map_err(|_| UrlRule::NotAUrl)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRule::Credentials);
    }
    if url.query().is_some() || url.fragment().is_some() || url.port() == Some(0) {
        return Err(UrlRule::HostileShape);
    }
    let reach = match url.host() {
        Some(nostr::types::url::Host::Domain(d)) => domain_reach(d)?,
        Some(nostr::types::url::Host::Ipv4(ip)) => v4_reach(ip),
        Some(nostr::types::url::Host::Ipv6(ip)) => v6_reach(ip),
        None => return Err(UrlRule::NotAUrl),
    };
    match (scheme.as_str(), reach) {
        ("ws", Reach::Loopback) if policy.loopback => {}
        ("ws", Reach::Loopback) => return Err(UrlRule::PrivateAddress),
        ("ws", _) => return Err(UrlRule::PlainWs),
        (_, Reach::Loopback) if !policy.loopback => return Err(UrlRule::PrivateAddress),
        (_, Reach::Private) if !policy.private => return Err(UrlRule::PrivateAddress),
        _ => {}
    }
    let canonical = url.as_str().trim_end_matches('/');
    RelayUrl::parse(canonical).map_err(|_| UrlRule::NotAUrl)
}

/// The canonical string of a relay URL (no trailing slash).
pub fn canonical(url: &RelayUrl) -> String {
    url.as_str_without_trailing_slash().to_string()
}

/// One refused entry of the user's relay settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelayViolation {
    /// The list it is in.
    pub role: RelayRole,
    /// Its position in the list as given (`None` for a rule about the whole list).
    pub index: Option<usize>,
    /// The entry as given (shortened if very long).
    pub url: Option<String>,
    /// The rule it broke.
    pub rule: UrlRule,
}

impl std::fmt::Display for RelayViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.url {
            Some(u) => write!(f, "{} relay `{u}` {}", self.role.as_str(), self.rule),
            None => write!(f, "{} relays: {}", self.role.as_str(), self.rule),
        }
    }
}

/// The user's relay settings: three lists of canonical URLs, each 1..=[`MAX_OWN_RELAYS`] long
/// with no duplicates. Only [`RelaySettings::validate`] and [`RelaySettings::uniform`] build one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelaySettings {
    read: Vec<String>,
    write: Vec<String>,
    inbox: Vec<String>,
}

fn validate_list(role: RelayRole, given: &[String], out: &mut Vec<RelayViolation>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    if given.is_empty() {
        out.push(RelayViolation {
            role,
            index: None,
            url: None,
            rule: UrlRule::ListEmpty,
        });
    }
    for (i, raw) in given.iter().enumerate() {
        let violation = |rule| RelayViolation {
            role,
            index: Some(i),
            url: Some(crate::protocol::excerpt(raw.trim())),
            rule,
        };
        if i >= MAX_OWN_RELAYS {
            out.push(violation(UrlRule::TooMany {
                max: MAX_OWN_RELAYS,
            }));
            continue;
        }
        match check_relay_url(raw, UrlPolicy::OWN) {
            Ok(u) => {
                let c = canonical(&u);
                if seen.insert(c.clone()) {
                    kept.push(c);
                } else {
                    out.push(violation(UrlRule::Duplicate));
                }
            }
            Err(rule) => out.push(violation(rule)),
        }
    }
    kept
}

impl RelaySettings {
    /// Validates three lists as the user entered them. Every refused entry is reported (all
    /// lists at once, in order); nothing is kept unless everything is valid.
    pub fn validate(
        read: &[String],
        write: &[String],
        inbox: &[String],
    ) -> Result<Self, Vec<RelayViolation>> {
        let mut v = Vec::new();
        let read = validate_list(RelayRole::Read, read, &mut v);
        let write = validate_list(RelayRole::Write, write, &mut v);
        let inbox = validate_list(RelayRole::Inbox, inbox, &mut v);
        if v.is_empty() {
            Ok(Self { read, write, inbox })
        } else {
            Err(v)
        }
    }

    /// The same relays for reading, writing and the inbox (a first start, `--relay` at init).
    pub fn uniform(relays: &[String]) -> Result<Self, Vec<RelayViolation>> {
        Self::validate(relays, relays, relays)
    }

    /// One list.
    pub fn list(&self, role: RelayRole) -> &[String] {
        match role {
            RelayRole::Read => &self.read,
            RelayRole::Write => &self.write,
            RelayRole::Inbox => &self.inbox,
        }
    }

    /// Read relays.
    pub fn read(&self) -> &[String] {
        &self.read
    }

    /// Write relays.
    pub fn write(&self) -> &[String] {
        &self.write
    }

    /// Inbox relays.
    pub fn inbox(&self) -> &[String] {
        &self.inbox
    }

    /// These settings with `role`'s list replaced by `urls` (validated).
    pub fn with(
        &self,
        read: Option<&[String]>,
        write: Option<&[String]>,
        inbox: Option<&[String]>,
    ) -> Result<Self, Vec<RelayViolation>> {
        Self::validate(
            read.unwrap_or(&self.read),
            write.unwrap_or(&self.write),
            inbox.unwrap_or(&self.inbox),
        )
    }

    /// The NIP-65 kind 10002 event: one `r` tag per relay, marked `read` or `write` when it is
    /// only one of them (read relays first, in the user's order).
    pub fn relay_list_builder(&self) -> EventBuilder {
        let write: HashSet<&String> = self.write.iter().collect();
        let read: HashSet<&String> = self.read.iter().collect();
        let mut tags = Vec::new();
        for u in &self.read {
            let t = if write.contains(u) {
                vec!["r".to_string(), u.clone()]
            } else {
                vec!["r".to_string(), u.clone(), "read".to_string()]
            };
            tags.push(t);
        }
        for u in self.write.iter().filter(|u| !read.contains(u)) {
            tags.push(vec!["r".to_string(), u.clone(), "write".to_string()]);
        }
        EventBuilder::new(Kind::from(KIND_RELAY_LIST), "")
            .tags(tags.into_iter().filter_map(|t| Tag::parse(t).ok()))
    }

    /// The NIP-17 kind 10050 event: one `relay` tag per inbox relay.
    pub fn inbox_list_builder(&self) -> EventBuilder {
        let tags = self
            .inbox
            .iter()
            .filter_map(|u| Tag::parse(["relay", u.as_str()]).ok());
        EventBuilder::new(Kind::from(KIND_INBOX_RELAYS), "").tags(tags)
    }

    /// `true` if any relay of these settings is on this device (then others' loopback relays
    /// are accepted too: a test or a relay run on this machine).
    pub fn uses_loopback(&self) -> bool {
        self.read
            .iter()
            .chain(&self.write)
            .chain(&self.inbox)
            .filter_map(|u| RelayUrl::parse(u).ok())
            .any(|u| is_loopback(&u))
    }
}

/// `true` for a relay on this device.
pub fn is_loopback(url: &RelayUrl) -> bool {
    match url.host() {
        Some(nostr::types::url::Host::Domain(d)) => {
            matches!(domain_reach(d), Ok(Reach::Loopback))
        }
        Some(nostr::types::url::Host::Ipv4(ip)) => v4_reach(ip) == Reach::Loopback,
        Some(nostr::types::url::Host::Ipv6(ip)) => v6_reach(ip) == Reach::Loopback,
        None => false,
    }
}

/// The relays someone published, as far as they passed the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerRelays {
    /// NIP-65 read relays (where they read mentions of them).
    pub read: Vec<RelayUrl>,
    /// NIP-65 write relays (where they publish).
    pub write: Vec<RelayUrl>,
    /// NIP-17 inbox relays (where their direct messages go).
    pub inbox: Vec<RelayUrl>,
    /// `created_at` of the kind 10002 used, if they published one.
    pub relay_list_at: Option<u64>,
    /// `created_at` of the kind 10050 used, if they published one.
    pub inbox_list_at: Option<u64>,
    /// Entries refused by the rules (or beyond the caps).
    pub refused: usize,
}

/// Does a peer advertise a NIP-17 inbox (a kind 10050 with at least one usable relay)?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxAdvertised {
    /// Yes: their kind 10050 names at least one relay we accept.
    Yes,
    /// Their lists were looked up and there is no usable kind 10050.
    No,
    /// Their lists could not be looked up (offline, no relay answered) and none is stored.
    Unknown,
}

fn push_capped(list: &mut Vec<RelayUrl>, url: RelayUrl, refused: &mut usize) {
    if list.contains(&url) {
        return;
    }
    if list.len() >= MAX_PEER_RELAYS {
        *refused += 1;
        return;
    }
    list.push(url);
}

impl PeerRelays {
    /// Reads the newest kind 10002 and kind 10050 of `author` among `events` (others are
    /// ignored). The caller has verified every event.
    pub fn from_events<'a>(
        author: &PublicKey,
        events: impl IntoIterator<Item = &'a Event>,
        policy: UrlPolicy,
    ) -> Self {
        let mut newest: HashMap<u16, &Event> = HashMap::new();
        for e in events {
            let k = e.kind.as_u16();
            if e.pubkey != *author || (k != KIND_RELAY_LIST && k != KIND_INBOX_RELAYS) {
                continue;
            }
            let better = newest.get(&k).is_none_or(|cur| {
                (e.created_at, std::cmp::Reverse(e.id))
                    > (cur.created_at, std::cmp::Reverse(cur.id))
            });
            if better {
                newest.insert(k, e);
            }
        }
        let mut out = PeerRelays::default();
        if let Some(e) = newest.get(&KIND_RELAY_LIST) {
            out.apply_relay_list(e, policy);
        }
        if let Some(e) = newest.get(&KIND_INBOX_RELAYS) {
            out.apply_inbox_list(e, policy);
        }
        out
    }

    /// Reads a kind 10002: `["r", url]` (read and write), `["r", url, "read"|"write"]`. Tags with
    /// another marker or name are ignored; refused URLs are counted.
    pub fn apply_relay_list(&mut self, event: &Event, policy: UrlPolicy) {
        self.read.clear();
        self.write.clear();
        self.relay_list_at = Some(event.created_at.as_secs());
        for tag in event.tags.iter().take(MAX_LIST_TAGS) {
            let s = tag.as_slice();
            if s.first().map(String::as_str) != Some("r") {
                continue;
            }
            let Some(raw) = s.get(1) else { continue };
            let (read, write) = match s.get(2).map(String::as_str) {
                None | Some("") => (true, true),
                Some("read") => (true, false),
                Some("write") => (false, true),
                Some(_) => continue,
            };
            match check_relay_url(raw, policy) {
                Ok(u) => {
                    if read {
                        push_capped(&mut self.read, u.clone(), &mut self.refused);
                    }
                    if write {
                        push_capped(&mut self.write, u, &mut self.refused);
                    }
                }
                Err(_) => self.refused += 1,
            }
        }
    }

    /// Reads a kind 10050: `["relay", url]` tags.
    pub fn apply_inbox_list(&mut self, event: &Event, policy: UrlPolicy) {
        self.inbox.clear();
        self.inbox_list_at = Some(event.created_at.as_secs());
        for tag in event.tags.iter().take(MAX_LIST_TAGS) {
            let s = tag.as_slice();
            if s.first().map(String::as_str) != Some("relay") {
                continue;
            }
            let Some(raw) = s.get(1) else { continue };
            match check_relay_url(raw, policy) {
                Ok(u) => push_capped(&mut self.inbox, u, &mut self.refused),
                Err(_) => self.refused += 1,
            }
        }
    }

    /// `true` if they published a kind 10050 with a usable relay.
    pub fn advertises_inbox(&self) -> bool {
        !self.inbox.is_empty()
    }

    /// `true` if they published neither list.
    pub fn is_unknown(&self) -> bool {
        self.relay_list_at.is_none() && self.inbox_list_at.is_none()
    }
}

/// Our relays by role, in canonical form, for routing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnRelays {
    /// Where we read (subscriptions, queries).
    pub read: Vec<RelayUrl>,
    /// Where we publish.
    pub write: Vec<RelayUrl>,
    /// Where our direct messages arrive (read for direct messages too).
    pub inbox: Vec<RelayUrl>,
    /// Where relay lists are published and looked up (connected on demand).
    pub index: Vec<RelayUrl>,
}

fn dedup(urls: impl IntoIterator<Item = RelayUrl>) -> Vec<RelayUrl> {
    let mut seen = HashSet::new();
    urls.into_iter()
        .filter(|u| seen.insert(u.clone()))
        .collect()
}

impl OwnRelays {
    /// Parses lists of URLs (already validated by the caller's rules; unparseable entries are
    /// skipped).
    pub fn from_lists(
        read: &[String],
        write: &[String],
        inbox: &[String],
        index: &[String],
    ) -> Self {
        let parse = |l: &[String]| dedup(l.iter().filter_map(|u| RelayUrl::parse(u).ok()));
        Self {
            read: parse(read),
            write: parse(write),
            inbox: parse(inbox),
            index: parse(index),
        }
    }

    /// Every relay we keep a connection to: read, write and inbox.
    pub fn connected_set(&self) -> Vec<RelayUrl> {
        dedup(
            self.read
                .iter()
                .chain(&self.write)
                .chain(&self.inbox)
                .cloned(),
        )
    }

    /// Relays we read from (read and inbox).
    pub fn reading(&self) -> Vec<RelayUrl> {
        dedup(self.read.iter().chain(&self.inbox).cloned())
    }

    /// `true` if `url` is one of ours (not counting index relays).
    pub fn contains(&self, url: &RelayUrl) -> bool {
        self.read.contains(url) || self.write.contains(url) || self.inbox.contains(url)
    }
}

/// Where a direct message to a peer goes, in tiers tried in order (see [`widen`]): their
/// NIP-17 inbox relays; else (or after repeated failures) their NIP-65 read relays; else ours.
/// At most `per_peer` relays of each of their lists are used.
pub fn dm_tiers(
    peer: Option<&PeerRelays>,
    our_write: &[RelayUrl],
    per_peer: usize,
) -> Vec<Vec<RelayUrl>> {
    let mut tiers = Vec::new();
    if let Some(p) = peer {
        if !p.inbox.is_empty() {
            tiers.push(p.inbox.iter().take(per_peer).cloned().collect());
        }
        if !p.read.is_empty() {
            tiers.push(p.read.iter().take(per_peer).cloned().collect());
        }
    }
    tiers.push(our_write.to_vec());
    tiers
}

/// Failed attempts after which a message's targets widen to the next tier.
pub const WIDEN_AFTER_FAILURES: u32 = 3;

/// The relays to try on attempt `attempts` (0 = first): the first tier, plus one more tier per
/// [`WIDEN_AFTER_FAILURES`] failed attempts (a peer's inbox relays that stay unreachable do not
/// strand the message).
pub fn widen(tiers: &[Vec<RelayUrl>], attempts: u32) -> Vec<RelayUrl> {
    let n = usize::try_from(attempts / WIDEN_AFTER_FAILURES)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    dedup(tiers.iter().take(n).flatten().cloned())
}

/// Attempts after which a [`Route`]'s further groups become best effort (a relay in someone
/// else's list that stays down does not keep our event in the outbox for ever).
pub const GROUP_ATTEMPTS: u32 = 5;

/// Where one event goes: a main destination in tiers (widened by failed attempts, [`widen`])
/// and further groups that should each get it too (the read relays of each person it tags, the
/// write relays of its author when that is someone else, the index relays for our own lists).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    /// The main destination, in tiers.
    pub tiers: Vec<Vec<RelayUrl>>,
    /// Further groups.
    pub groups: Vec<Vec<RelayUrl>>,
}

impl Route {
    /// The relays to send to on attempt `attempts` (0 = first): the widened tiers and every
    /// group, each relay once.
    pub fn targets(&self, attempts: u32) -> Vec<RelayUrl> {
        dedup(
            widen(&self.tiers, attempts)
                .into_iter()
                .chain(self.groups.iter().flatten().cloned()),
        )
    }

    /// Whether attempt `attempts` delivered the event: a relay of the (widened) main destination
    /// accepted it, and one of each group did too, unless this is attempt [`GROUP_ATTEMPTS`] or
    /// later (then the groups are best effort). A retry re-sends to every target; relays that
    /// already have it answer `duplicate:`, which counts as accepted.
    pub fn done(&self, attempts: u32, accepted: &[RelayUrl]) -> bool {
        let main = widen(&self.tiers, attempts);
        if !main.iter().any(|u| accepted.contains(u)) {
            return false;
        }
        attempts.saturating_add(1) >= GROUP_ATTEMPTS
            || self
                .groups
                .iter()
                .filter(|g| !g.is_empty())
                .all(|g| g.iter().any(|u| accepted.contains(u)))
    }
}

/// Picks relays to fetch several people's own events from (the NIP-65 "outbox model"): people
/// with a write relay in `covered` (ours, read anyway) are skipped; for the others, relays are
/// chosen greedily by how many of them they serve, until each has `redundancy` relays (or all of
/// theirs) or `max_relays` relays are chosen. Returns the relays with their authors, and the
/// people left without one. Deterministic (ties by URL).
pub fn assign_outbox_relays(
    people: &[(PublicKey, Vec<RelayUrl>)],
    covered: &[RelayUrl],
    redundancy: usize,
    max_relays: usize,
) -> (BTreeMap<RelayUrl, Vec<PublicKey>>, Vec<PublicKey>) {
    let covered: HashSet<&RelayUrl> = covered.iter().collect();
    // Who still needs how many relays, and which relays they list.
    let mut need: Vec<(PublicKey, usize, Vec<RelayUrl>)> = people
        .iter()
        .filter(|(_, w)| !w.is_empty() && !w.iter().any(|u| covered.contains(u)))
        .map(|(pk, w)| (*pk, redundancy.min(w.len()).max(1), w.clone()))
        .collect();
    let mut chosen: BTreeMap<RelayUrl, Vec<PublicKey>> = BTreeMap::new();
    while chosen.len() < max_relays {
        let mut score: BTreeMap<&RelayUrl, usize> = BTreeMap::new();
        for (_, n, w) in &need {
            if *n > 0 {
                for u in w.iter().filter(|u| !chosen.contains_key(*u)) {
                    *score.entry(u).or_insert(0) += 1;
                }
            }
        }
        // Highest score; BTreeMap order breaks ties by URL.
        let Some((best, _)) =
            score
                .iter()
                .fold(None::<(&RelayUrl, usize)>, |acc, (u, s)| match acc {
                    Some((_, bs)) if bs >= *s => acc,
                    _ => Some((*u, *s)),
                })
        else {
            break;
        };
        let best = best.clone();
        let mut authors = Vec::new();
        for (pk, n, w) in need.iter_mut() {
            if *n > 0 && w.contains(&best) {
                *n -= 1;
                authors.push(*pk);
            }
        }
        chosen.insert(best, authors);
    }
    let assigned: HashSet<PublicKey> = chosen.values().flatten().copied().collect();
    let uncovered = need
        .iter()
        .filter(|(pk, _, _)| !assigned.contains(pk))
        .map(|(pk, _, _)| *pk)
        .collect();
    (chosen, uncovered)
}

/// The `p` tags of an event (first `max` distinct valid keys).
pub fn tagged_people(event: &Event, max: usize) -> Vec<PublicKey> {
    let mut out: Vec<PublicKey> = Vec::new();
    for t in event.tags.iter() {
        if out.len() >= max {
            break;
        }
        if t.kind() != TagKind::p() {
            continue;
        }
        if let Some(pk) = t.content().and_then(|s| PublicKey::from_hex(s).ok())
            && !out.contains(&pk)
        {
            out.push(pk);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::{EventBuilder, Keys, Timestamp};

    fn own(u: &str) -> Result<String, UrlRule> {
        check_relay_url(u, UrlPolicy::OWN).map(|u| canonical(&u))
    }
    fn peer(u: &str) -> Result<String, UrlRule> {
        check_relay_url(u, UrlPolicy::others(false)).map(|u| canonical(&u))
    }

    #[test]
    fn urls_are_canonical() {
        assert_eq!(
            own("wss://Relay.Example.com:443/").unwrap(),
            "wss://relay.example.com"
        );
        assert_eq!(
            own("  wss://relay.example.com  ").unwrap(),
            "wss://relay.example.com"
        );
        assert_eq!(
            own("WSS://relay.example.com/nostr/").unwrap(),
            "wss://relay.example.com/nostr"
        );
        assert_eq!(
            own("wss://relay.example.com:7447").unwrap(),
            "wss://relay.example.com:7447"
        );
        assert_eq!(own("ws://127.0.0.1:7777").unwrap(), "ws://127.0.0.1:7777");
        assert_eq!(own("ws://localhost:7777/").unwrap(), "ws://localhost:7777");
        // Internationalised names become punycode.
        assert_eq!(
            own("wss://rélay.example.com").unwrap(),
            "wss://xn--rlay-bpa.example.com"
        );
        // The canonical form is a fixed point: checking it again gives itself.
        for u in [
            "wss://Relay.Example.com:443/",
            "wss://rélay.example.com/a/../b/",
            "wss://[2606:4700:0::1111]:444",
            "ws://LOCALHOST:7777",
            "wss://[::ffff:1.2.3.4]",
            "wss://1.1.1.1:443",
        ] {
            let c = own(u).unwrap();
            assert_eq!(own(&c).unwrap(), c, "{u}");
        }
    }

    #[test]
    fn every_rule_has_its_code() {
        let cases: &[(&str, UrlRule)] = &[
            ("", UrlRule::Empty),
            ("   ", UrlRule::Empty),
            ("relay.example.com", UrlRule::NotAUrl),
            ("https://relay.example.com", UrlRule::Scheme),
            ("http://relay.example.com", UrlRule::Scheme),
            ("ws://relay.example.com", UrlRule::PlainWs),
            ("ws://192.168.1.4:7777", UrlRule::PlainWs),
            ("wss://user:pw@relay.example.com", UrlRule::Credentials),
            ("wss://user@relay.example.com", UrlRule::Credentials),
            ("wss://relay.example.com/?x=1", UrlRule::HostileShape),
            ("wss://relay.example.com/#frag", UrlRule::HostileShape),
            ("wss://relay.example.com:0", UrlRule::HostileShape),
            ("wss://relay .example.com", UrlRule::HostileShape),
            ("wss://relay.example.com/\u{7}", UrlRule::HostileShape),
            ("wss://wss://relay.example.com", UrlRule::HostileShape),
            ("wss://relay.example.com.", UrlRule::HostileShape),
            ("wss://abcdefghijklmnopqrstuvwxyz.onion", UrlRule::Onion),
            ("wss://", UrlRule::NotAUrl),
        ];
        for (u, rule) in cases {
            assert_eq!(own(u), Err(*rule), "{u:?}");
        }
        assert!(
            own("wss://relay.example.com\n").is_ok(),
            "surrounding whitespace is trimmed"
        );
        let long = format!("wss://{}.com", "a".repeat(300));
        assert_eq!(own(&long), Err(UrlRule::TooLong { max: MAX_URL_BYTES }));
        let label = format!("wss://{}.com", "a".repeat(64));
        assert_eq!(own(&label), Err(UrlRule::HostileShape));
    }

    #[test]
    fn others_lists_may_not_point_into_private_networks() {
        for u in [
            "wss://127.0.0.1",
            "wss://localhost",
            "wss://a.localhost",
            "ws://127.0.0.1:7777",
            "wss://10.0.0.8",
            "wss://172.20.1.1",
            "wss://192.168.0.10:8080",
            "wss://169.254.169.254", // cloud metadata
            "wss://100.64.0.1",
            "wss://0.0.0.0",
            "wss://224.0.0.1",
            "wss://255.255.255.255",
            "wss://[::1]",
            "wss://[fd00::1]",
            "wss://[fe80::1]",
            "wss://[::ffff:127.0.0.1]",
            "wss://[::ffff:10.0.0.1]",
            "wss://[64:ff9b::a00:1]",
            "wss://[2002:c0a8:101::1]",
            "wss://router",
            "wss://nas.local",
            "wss://relay.lan",
            "wss://relay.internal",
            "wss://relay.home.arpa",
            // Hostile spellings of loopback the URL parser normalises.
            "wss://2130706433",
            "wss://0x7f000001",
            "wss://0177.0.0.1",
            "wss://127.1",
        ] {
            assert_eq!(peer(u), Err(UrlRule::PrivateAddress), "{u}");
        }
        // The user's own settings may name their own network (TLS) and this device.
        assert!(own("wss://192.168.0.10").is_ok());
        assert!(own("wss://nas.local").is_ok());
        assert!(own("wss://[::1]:7777").is_ok());
        // Loopback in others' lists only when allowed.
        let lb = UrlPolicy::others(true);
        assert!(check_relay_url("ws://127.0.0.1:7777", lb).is_ok());
        assert_eq!(
            check_relay_url("wss://10.0.0.1", lb),
            Err(UrlRule::PrivateAddress)
        );
        assert!(peer("wss://relay.damus.io").is_ok());
        assert!(peer("wss://[2606:4700::1111]").is_ok());
        assert!(peer("wss://1.1.1.1").is_ok());
    }

    #[test]
    fn settings_report_every_violation_with_its_place_and_keep_nothing() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let err = RelaySettings::validate(
            &s(&[
                "wss://a.example.com",
                "http://b.example.com",
                "wss://A.example.com/",
            ]),
            &s(&[]),
            &s(&["ws://relay.example.com"]),
        )
        .unwrap_err();
        assert_eq!(
            err,
            vec![
                RelayViolation {
                    role: RelayRole::Read,
                    index: Some(1),
                    url: Some("http://b.example.com".into()),
                    rule: UrlRule::Scheme
                },
                RelayViolation {
                    role: RelayRole::Read,
                    index: Some(2),
                    url: Some("wss://A.example.com/".into()),
                    rule: UrlRule::Duplicate
                },
                RelayViolation {
                    role: RelayRole::Write,
                    index: None,
                    url: None,
                    rule: UrlRule::ListEmpty
                },
                RelayViolation {
                    role: RelayRole::Inbox,
                    index: Some(0),
                    url: Some("ws://relay.example.com".into()),
                    rule: UrlRule::PlainWs
                },
            ]
        );
        let many: Vec<String> = (0..20).map(|i| format!("wss://r{i}.example.com")).collect();
        let err = RelaySettings::uniform(&many).unwrap_err();
        assert_eq!(err.len(), 3 * 4);
        assert!(err.iter().all(|v| v.rule
            == UrlRule::TooMany {
                max: MAX_OWN_RELAYS
            }));
        let ok = RelaySettings::validate(
            &s(&["wss://A.example.com/"]),
            &s(&["wss://w.example.com"]),
            &s(&["wss://i.example.com"]),
        )
        .unwrap();
        assert_eq!(ok.read(), ["wss://a.example.com"]);
        let changed = ok
            .with(None, None, Some(&s(&["wss://j.example.com"])))
            .unwrap();
        assert_eq!(changed.read(), ok.read());
        assert_eq!(changed.inbox(), ["wss://j.example.com"]);
    }

    #[test]
    fn published_lists_round_trip_and_hostile_lists_are_capped_and_filtered() {
        let keys = Keys::generate();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let settings = RelaySettings::validate(
            &s(&["wss://both.example.com", "wss://r.example.com"]),
            &s(&["wss://both.example.com", "wss://w.example.com"]),
            &s(&["wss://inbox.example.com"]),
        )
        .unwrap();
        let list = settings.relay_list_builder().sign_with_keys(&keys).unwrap();
        let inbox = settings.inbox_list_builder().sign_with_keys(&keys).unwrap();
        assert_eq!(list.kind.as_u16(), KIND_RELAY_LIST);
        let tags: Vec<Vec<String>> = list.tags.iter().map(|t| t.as_slice().to_vec()).collect();
        assert_eq!(
            tags,
            vec![
                vec!["r".to_string(), "wss://both.example.com".into()],
                vec!["r".to_string(), "wss://r.example.com".into(), "read".into()],
                vec![
                    "r".to_string(),
                    "wss://w.example.com".into(),
                    "write".into()
                ],
            ]
        );
        let p = PeerRelays::from_events(
            &keys.public_key(),
            [&list, &inbox],
            UrlPolicy::others(false),
        );
        let strs = |v: &[RelayUrl]| v.iter().map(canonical).collect::<Vec<_>>();
        assert_eq!(
            strs(&p.read),
            ["wss://both.example.com", "wss://r.example.com"]
        );
        assert_eq!(
            strs(&p.write),
            ["wss://both.example.com", "wss://w.example.com"]
        );
        assert_eq!(strs(&p.inbox), ["wss://inbox.example.com"]);
        assert!(p.advertises_inbox());

        // Hundreds of entries, duplicates in other spellings, private and non-wss URLs, odd
        // markers and tags: the first usable ones are kept, up to the cap, the rest counted.
        let mut tags = vec![
            vec!["r".to_string(), "ws://evil.example.com".into()],
            vec!["r".to_string(), "wss://10.0.0.1".into()],
            vec!["r".to_string(), "wss://169.254.169.254".into()],
            vec!["r".to_string(), "https://x.example.com".into()],
            vec![
                "r".to_string(),
                "wss://good.example.com".into(),
                "bogus".into(),
            ],
            vec!["r".to_string()],
            vec!["x".to_string(), "wss://other-tag.example.com".into()],
            vec!["r".to_string(), "wss://ONE.example.com/".into()],
            vec!["r".to_string(), "wss://one.example.com:443".into()],
        ];
        for i in 0..500 {
            tags.push(vec!["r".to_string(), format!("wss://r{i}.example.com")]);
        }
        let big = EventBuilder::new(Kind::from(KIND_RELAY_LIST), "")
            .tags(tags.into_iter().map(|t| Tag::parse(t).unwrap()))
            .custom_created_at(Timestamp::from(2_000))
            .sign_with_keys(&keys)
            .unwrap();
        let older = settings
            .relay_list_builder()
            .custom_created_at(Timestamp::from(1_000))
            .sign_with_keys(&keys)
            .unwrap();
        let p =
            PeerRelays::from_events(&keys.public_key(), [&older, &big], UrlPolicy::others(false));
        assert_eq!(p.relay_list_at, Some(2_000), "the newest list wins");
        assert_eq!(p.read.len(), MAX_PEER_RELAYS);
        assert_eq!(p.write.len(), MAX_PEER_RELAYS);
        assert_eq!(canonical(&p.read[0]), "wss://one.example.com");
        assert_eq!(canonical(&p.read[1]), "wss://r0.example.com");
        assert!(p.refused > 4);
        assert!(!p.advertises_inbox() && p.inbox_list_at.is_none());

        // Someone else's event is never read as theirs.
        let mallory = Keys::generate();
        let forged = settings
            .inbox_list_builder()
            .sign_with_keys(&mallory)
            .unwrap();
        assert!(
            PeerRelays::from_events(&keys.public_key(), [&forged], UrlPolicy::others(false))
                .is_unknown()
        );
    }

    fn url(s: &str) -> RelayUrl {
        RelayUrl::parse(s).unwrap()
    }

    #[test]
    fn direct_messages_go_to_the_inbox_then_read_relays_then_ours() {
        let ours = vec![url("wss://ours.example.com")];
        let full = PeerRelays {
            inbox: vec![
                url("wss://i1.example.com"),
                url("wss://i2.example.com"),
                url("wss://i3.example.com"),
            ],
            read: vec![url("wss://r1.example.com")],
            ..Default::default()
        };
        let tiers = dm_tiers(Some(&full), &ours, 2);
        assert_eq!(
            tiers,
            vec![
                vec![url("wss://i1.example.com"), url("wss://i2.example.com")],
                vec![url("wss://r1.example.com")],
                ours.clone()
            ]
        );
        assert_eq!(widen(&tiers, 0), tiers[0]);
        assert_eq!(widen(&tiers, 2), tiers[0]);
        assert_eq!(widen(&tiers, 3).len(), 3);
        assert_eq!(widen(&tiers, 6).len(), 4);
        assert_eq!(widen(&tiers, u32::MAX).len(), 4);
        let read_only = PeerRelays {
            read: vec![url("wss://r1.example.com")],
            relay_list_at: Some(1),
            ..Default::default()
        };
        assert_eq!(
            dm_tiers(Some(&read_only), &ours, 2)[0],
            vec![url("wss://r1.example.com")]
        );
        assert_eq!(dm_tiers(None, &ours, 2), vec![ours.clone()]);
        assert_eq!(dm_tiers(Some(&PeerRelays::default()), &ours, 2), vec![ours]);
    }

    #[test]
    fn an_event_is_delivered_once_its_destination_and_each_group_have_it_then_groups_are_best_effort()
     {
        let r = Route {
            tiers: vec![vec![url("wss://ours.example.com")]],
            groups: vec![
                vec![url("wss://bob1.example.com"), url("wss://bob2.example.com")],
                vec![],
                vec![url("wss://carol.example.com")],
            ],
        };
        assert_eq!(r.targets(0).len(), 4);
        let ours = url("wss://ours.example.com");
        let bob2 = url("wss://bob2.example.com");
        let carol = url("wss://carol.example.com");
        assert!(
            !r.done(0, &[bob2.clone(), carol.clone()]),
            "not where we write"
        );
        assert!(
            !r.done(0, &[ours.clone(), carol.clone()]),
            "Bob's group missing"
        );
        assert!(r.done(0, &[ours.clone(), bob2.clone(), carol.clone()]));
        assert!(!r.done(GROUP_ATTEMPTS - 2, std::slice::from_ref(&ours)));
        assert!(
            r.done(GROUP_ATTEMPTS - 1, std::slice::from_ref(&ours)),
            "best effort now"
        );
        assert!(
            !Route::default().done(0, &[ours]),
            "nowhere to go is never done"
        );
    }

    #[test]
    fn outbox_relays_cover_people_with_few_relays_and_respect_the_cap() {
        let people: Vec<(PublicKey, Vec<RelayUrl>)> = (0..50)
            .map(|i| {
                let k = Keys::generate().public_key();
                let a = url(&format!("wss://r{}.example.com", i % 10));
                let b = url(&format!("wss://r{}.example.com", (i + 1) % 10));
                (k, vec![a, b])
            })
            .collect();
        let (chosen, uncovered) = assign_outbox_relays(&people, &[], 1, 16);
        assert!(uncovered.is_empty());
        assert!(chosen.len() <= 10);
        let served: HashSet<PublicKey> = chosen.values().flatten().copied().collect();
        assert_eq!(served.len(), 50);
        // Redundancy 2: each person on two relays.
        let (chosen2, _) = assign_outbox_relays(&people, &[], 2, 16);
        let slots: usize = chosen2.values().map(Vec::len).sum();
        assert_eq!(slots, 100);
        // A cap of 3 relays leaves some people out, reported.
        let (capped, left) = assign_outbox_relays(&people, &[], 1, 3);
        assert_eq!(capped.len(), 3);
        assert!(!left.is_empty());
        // People who write where we read anyway are skipped.
        let covered = vec![url("wss://r0.example.com")];
        let (_, left) = assign_outbox_relays(&people[..1], &covered, 1, 16);
        assert!(left.is_empty());
        let (c, _) = assign_outbox_relays(&people[..1], &covered, 1, 16);
        assert!(c.is_empty());
    }
}
