//! The backup passphrase rule: one policy, judged by the core for live feedback (as the user
//! types) and enforced by `export_backup` and `restore_identity`.
//!
//! A new backup's passphrase needs at least [`MIN_BACKUP_PASSPHRASE_CHARS`] characters that are
//! not all spaces, and must match its confirmation. Restoring judges only what any backup's
//! passphrase must be (not empty, not absurdly long): a backup made elsewhere may use a shorter
//! one, and refusing to even try it would lock its owner out. Lengths count characters, so a
//! passphrase in any script is measured the same way.

use crate::rules::{FieldViolation, Rule, count};

/// Fewest characters a new backup passphrase has.
pub const MIN_BACKUP_PASSPHRASE_CHARS: usize = 8;
/// Most characters a passphrase may have (scrypt takes any length; this bounds the input).
pub const MAX_PASSPHRASE_CHARS: usize = 1024;

/// What a passphrase is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum PassphrasePurpose {
    /// Encrypting a new backup (the full policy applies).
    NewBackup,
    /// Decrypting an existing backup (only what every passphrase must be).
    Restore,
}

/// Every rule `passphrase` (field `passphrase`) and its `confirmation` (field `confirmation`,
/// when the screen asks for one) break for `purpose`; empty when acceptable.
pub fn passphrase_violations(
    passphrase: &str,
    confirmation: Option<&str>,
    purpose: PassphrasePurpose,
) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    let n = passphrase.chars().count();
    let rule = if n == 0 {
        Some(Rule::Required)
    } else if n > MAX_PASSPHRASE_CHARS {
        Some(Rule::TooLong {
            max: count(MAX_PASSPHRASE_CHARS),
        })
    } else if purpose == PassphrasePurpose::NewBackup && passphrase.trim().is_empty() {
        Some(Rule::Blank)
    } else if purpose == PassphrasePurpose::NewBackup && n < MIN_BACKUP_PASSPHRASE_CHARS {
        Some(Rule::TooShort {
            min: count(MIN_BACKUP_PASSPHRASE_CHARS),
        })
    } else {
        None
    };
    if let Some(rule) = rule {
        out.push(FieldViolation::new("passphrase", rule));
    }
    if let Some(c) = confirmation
        && c != passphrase
    {
        out.push(FieldViolation::new("confirmation", Rule::Mismatch));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use PassphrasePurpose::{NewBackup, Restore};

    fn rules(p: &str, c: Option<&str>, purpose: PassphrasePurpose) -> Vec<(String, Rule)> {
        passphrase_violations(p, c, purpose)
            .into_iter()
            .map(|v| (v.field, v.rule))
            .collect()
    }

    #[test]
    fn a_new_backup_needs_eight_real_characters_and_a_matching_confirmation() {
        assert!(rules("correct horse", Some("correct horse"), NewBackup).is_empty());
        assert!(rules("12345678", None, NewBackup).is_empty());
        // Characters, not bytes: eight CJK characters are enough, seven are not.
        assert!(rules("一二三四五六七八", None, NewBackup).is_empty());
        assert_eq!(
            rules("一二三四五六七", None, NewBackup),
            vec![("passphrase".into(), Rule::TooShort { min: 8 })]
        );
        assert_eq!(
            rules("", Some(""), NewBackup),
            vec![("passphrase".into(), Rule::Required)]
        );
        assert_eq!(
            rules("         ", None, NewBackup),
            vec![("passphrase".into(), Rule::Blank)]
        );
        assert_eq!(
            rules("short", Some("shorter"), NewBackup),
            vec![
                ("passphrase".into(), Rule::TooShort { min: 8 }),
                ("confirmation".into(), Rule::Mismatch)
            ]
        );
        assert_eq!(
            rules(&"x".repeat(1025), None, NewBackup),
            vec![("passphrase".into(), Rule::TooLong { max: 1024 })]
        );
    }

    #[test]
    fn restoring_tries_any_passphrase_a_backup_can_have() {
        assert!(rules("x", None, Restore).is_empty());
        assert!(rules("   ", None, Restore).is_empty());
        assert_eq!(
            rules("", None, Restore),
            vec![("passphrase".into(), Rule::Required)]
        );
        assert_eq!(
            rules(&"x".repeat(1025), None, Restore),
            vec![("passphrase".into(), Rule::TooLong { max: 1024 })]
        );
    }
}
