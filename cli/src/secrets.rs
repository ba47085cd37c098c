//! Where the CLI keeps secrets: the OS keyring when a keyring service exists; otherwise (headless
//! Linux) an encrypted key file whose passphrase comes from an environment variable or a prompt.
//! Never a plain-text key. The choice is remembered per home directory so a keyring appearing
//! later does not hide an identity kept in the file.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use freeport_core::identity::{PassphraseFileSecretStore, SecretStore};

/// A refusal of the CLI's own (passphrase, confirmation) — maps to exit code 3.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("{0}")]
    Refused(String),
}

const BACKEND_FILE: &str = "secret-backend";
const KEY_FILE: &str = "secrets.ncrypt";

/// Opens the secret store of `home`.
pub fn open(home: &Path, passphrase_env: &str) -> anyhow::Result<Arc<dyn SecretStore>> {
    let chosen = std::fs::read_to_string(home.join(BACKEND_FILE)).ok();
    let want_file = match chosen.as_deref().map(str::trim) {
        Some("file") => true,
        Some("keyring") => false,
        _ => {
            let usable = keyring_usable();
            let backend = if usable { "keyring" } else { "file" };
            std::fs::write(home.join(BACKEND_FILE), backend)?;
            !usable
        }
    };
    if want_file {
        let pass = passphrase(Some(passphrase_env), "Key file passphrase: ", false)?;
        let store = PassphraseFileSecretStore::open(home.join(KEY_FILE), &pass)
            .map_err(|e| SecretsError::Refused(e.to_string()))?;
        Ok(Arc::new(store))
    } else {
        keyring_store()
    }
}

#[cfg(feature = "keyring")]
fn keyring_usable() -> bool {
    match freeport_core::identity::KeyringSecretStore::new() {
        Ok(s) => s.get("freeport.probe".to_string()).is_ok(),
        Err(_) => false,
    }
}

#[cfg(feature = "keyring")]
fn keyring_store() -> anyhow::Result<Arc<dyn SecretStore>> {
    Ok(Arc::new(freeport_core::identity::KeyringSecretStore::new()?))
}

#[cfg(not(feature = "keyring"))]
fn keyring_usable() -> bool {
    false
}

#[cfg(not(feature = "keyring"))]
fn keyring_store() -> anyhow::Result<Arc<dyn SecretStore>> {
    Err(SecretsError::Refused("built without keyring support".into()).into())
}

/// Where the key of `home` is kept, for `init` / `restore` to tell the user (no keyring service
/// on headless machines is worth knowing once, not on every command).
pub fn backend_note(home: &Path, passphrase_env: &str) -> Option<String> {
    match std::fs::read_to_string(home.join(BACKEND_FILE))
        .ok()?
        .trim()
    {
        "file" => Some(format!(
            "note: no OS keyring service here; your key is in an encrypted file ({}), \
             passphrase from ${passphrase_env} or a prompt",
            home.join(KEY_FILE).display()
        )),
        _ => None,
    }
}

/// A passphrase from `env` if set, else from the terminal (twice when `confirm`).
pub fn passphrase(env: Option<&str>, prompt: &str, confirm: bool) -> anyhow::Result<String> {
    if let Some(var) = env
        && let Ok(v) = std::env::var(var)
    {
        if v.is_empty() {
            return Err(SecretsError::Refused(format!("${var} is empty")).into());
        }
        return Ok(v);
    }
    if !std::io::stdin().is_terminal() {
        return Err(SecretsError::Refused(format!(
            "a passphrase is needed: set ${} or run in a terminal",
            env.unwrap_or("FREEPORT_PASSPHRASE")
        ))
        .into());
    }
    let first = rpassword::prompt_password(prompt)?;
    if first.is_empty() {
        return Err(SecretsError::Refused("empty passphrase".into()).into());
    }
    if confirm {
        let again = rpassword::prompt_password("Again: ")?;
        if again != first {
            return Err(SecretsError::Refused("the passphrases differ".into()).into());
        }
    }
    Ok(first)
}

/// A yes/no question on the terminal (no terminal: no).
pub fn confirm(prompt: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}
