//! [`EmbeddedRelayHandle`]: an in-process loopback relay for tests and a "try it offline" mode.

use std::sync::{Arc, Mutex};

use super::FreeportError;
use crate::relay::EmbeddedRelay;

/// A relay on `127.0.0.1` with a random port and an in-memory database. It stops when
/// [`EmbeddedRelayHandle::stop`] is called or the handle is dropped.
#[derive(Debug, uniffi::Object)]
pub struct EmbeddedRelayHandle {
    relay: Mutex<EmbeddedRelay>,
    url: String,
}

#[uniffi::export(async_runtime = "tokio")]
impl EmbeddedRelayHandle {
    /// Starts a relay on a free loopback port.
    #[uniffi::constructor]
    pub async fn start() -> Result<Arc<Self>, FreeportError> {
        let relay = EmbeddedRelay::start().await?;
        let url = relay.url();
        Ok(Arc::new(Self {
            relay: Mutex::new(relay),
            url,
        }))
    }

    /// The relay's `ws://127.0.0.1:<port>` URL.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Stops the relay (idempotent); connected clients see it go away.
    pub fn stop(&self) {
        match self.relay.lock() {
            Ok(mut r) => r.stop(),
            Err(poisoned) => poisoned.into_inner().stop(),
        }
    }
}
