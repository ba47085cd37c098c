//! The relay-settings records of the facade: roles, violation codes with their parameters, and
//! their conversions from the core's [`crate::relay::lists`] types. Screens render and translate
//! the codes themselves; none parses text.

use crate::relay::lists::{RelayRole, RelayViolation, UrlRule};

/// Which list of the relay settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum RelayListRole {
    /// Where we read public events and mentions of us (NIP-65 `read`).
    Read,
    /// Where we publish (NIP-65 `write`).
    Write,
    /// Where others send our direct messages (NIP-17 kind 10050).
    Inbox,
}

impl From<RelayRole> for RelayListRole {
    fn from(r: RelayRole) -> Self {
        match r {
            RelayRole::Read => Self::Read,
            RelayRole::Write => Self::Write,
            RelayRole::Inbox => Self::Inbox,
        }
    }
}

/// Why a relay URL (or a list) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum RelayUrlRule {
    /// Nothing was entered.
    Empty,
    /// Longer than `max` bytes.
    TooLong {
        /// The limit.
        max: u32,
    },
    /// Not a relay address at all.
    NotAUrl,
    /// Not `wss://`.
    Scheme,
    /// Plain `ws://` to another machine.
    PlainWs,
    /// Contains a user name or password.
    Credentials,
    /// A local or private network address (in someone else's list), or loopback where not
    /// allowed.
    PrivateAddress,
    /// A Tor `.onion` address.
    Onion,
    /// A query, fragment, whitespace, port 0 or another shape relay addresses never have.
    HostileShape,
    /// Already in this list.
    Duplicate,
    /// Beyond the `max` relays one list may hold.
    TooMany {
        /// The limit.
        max: u32,
    },
    /// The list is empty; at least one relay is needed.
    ListEmpty,
}

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<UrlRule> for RelayUrlRule {
    fn from(r: UrlRule) -> Self {
        match r {
            UrlRule::Empty => Self::Empty,
            UrlRule::TooLong { max } => Self::TooLong { max: u32_of(max) },
            UrlRule::NotAUrl => Self::NotAUrl,
            UrlRule::Scheme => Self::Scheme,
            UrlRule::PlainWs => Self::PlainWs,
            UrlRule::Credentials => Self::Credentials,
            UrlRule::PrivateAddress => Self::PrivateAddress,
            UrlRule::Onion => Self::Onion,
            UrlRule::HostileShape => Self::HostileShape,
            UrlRule::Duplicate => Self::Duplicate,
            UrlRule::TooMany { max } => Self::TooMany { max: u32_of(max) },
            UrlRule::ListEmpty => Self::ListEmpty,
        }
    }
}

/// One refused entry of the relay settings: which list, where in it, what was entered, why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RelayViolationRecord {
    /// The list.
    pub role: RelayListRole,
    /// Position in the list as given; `None` for a rule about the whole list (`ListEmpty`).
    pub index: Option<u32>,
    /// The entry as given (shortened if very long).
    pub url: Option<String>,
    /// The rule it broke.
    pub rule: RelayUrlRule,
}

impl From<RelayViolation> for RelayViolationRecord {
    fn from(v: RelayViolation) -> Self {
        Self {
            role: v.role.into(),
            index: v.index.map(u32_of),
            url: v.url,
            rule: v.rule.into(),
        }
    }
}

/// Whether someone advertises a NIP-17 inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum InboxStatus {
    /// Their kind 10050 names a relay we accept.
    Yes,
    /// Looked up: no usable kind 10050.
    No,
    /// Could not be looked up and nothing is stored.
    Unknown,
}

impl From<crate::relay::InboxAdvertised> for InboxStatus {
    fn from(a: crate::relay::InboxAdvertised) -> Self {
        match a {
            crate::relay::InboxAdvertised::Yes => Self::Yes,
            crate::relay::InboxAdvertised::No => Self::No,
            crate::relay::InboxAdvertised::Unknown => Self::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_cross_with_their_codes_and_places() {
        let v = crate::relay::RelaySettings::validate(
            &["wss://a.example.com".into(), "ws://b.example.com".into()],
            &[],
            &["wss://a.example.com".into()],
        )
        .unwrap_err();
        let r: Vec<RelayViolationRecord> = v.into_iter().map(Into::into).collect();
        assert_eq!(
            r,
            vec![
                RelayViolationRecord {
                    role: RelayListRole::Read,
                    index: Some(1),
                    url: Some("ws://b.example.com".into()),
                    rule: RelayUrlRule::PlainWs,
                },
                RelayViolationRecord {
                    role: RelayListRole::Write,
                    index: None,
                    url: None,
                    rule: RelayUrlRule::ListEmpty,
                },
            ]
        );
        assert_eq!(
            RelayUrlRule::from(UrlRule::TooMany { max: 16 }),
            RelayUrlRule::TooMany { max: 16 }
        );
    }
}
