//! Live updates for the platform: a foreign [`AppListener`] fed by a task that forwards the
//! app's event channel, stopped by [`ListenerHandle::cancel`] or when the handle is dropped.

use std::sync::{Arc, Mutex, OnceLock};

use tokio::runtime::{Handle, Runtime};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;

use super::FreeportError;
use super::records::AppEventRecord;
use crate::app::AppEvent;

/// Receives live updates. Implemented in Kotlin / Swift.
///
/// Called on a background thread owned by the core, one event at a time and in order: return
/// quickly (post to the UI thread) — a slow listener delays later events for itself only.
#[uniffi::export(foreign)]
pub trait AppListener: Send + Sync {
    /// One update.
    fn on_event(&self, event: AppEventRecord);
}

/// The process-wide runtime that runs listener tasks. Synchronous exported calls have no tokio
/// context (UniFFI's runtime is entered only while an async call is polled), so listener tasks
/// need a runtime of their own; one small worker serves every listener of every app.
static LISTENER_RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The listener runtime's handle, creating the runtime on first use.
pub(crate) fn listener_runtime() -> Result<Handle, FreeportError> {
    if let Some(rt) = LISTENER_RUNTIME.get() {
        return Ok(rt.handle().clone());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("freeport-listeners")
        .enable_all()
        .build()
        .map_err(|e| FreeportError::Internal {
            reason: format!("cannot start the listener runtime: {e}"),
        })?;
    // A concurrent first call may have won; the loser's runtime is dropped here, outside any
    // async context, which is allowed.
    Ok(LISTENER_RUNTIME.get_or_init(|| rt).handle().clone())
}

/// Keeps a listener subscribed. Dropping it (Kotlin: garbage collection or `close()`; Swift:
/// the last reference going away) stops the listener like [`ListenerHandle::cancel`].
#[derive(Debug, uniffi::Object)]
pub struct ListenerHandle {
    task: Mutex<Option<JoinHandle<()>>>,
}

impl ListenerHandle {
    /// Starts forwarding `events` to `listener` on `rt`.
    pub(crate) fn spawn(
        rt: &Handle,
        mut events: broadcast::Receiver<AppEvent>,
        listener: Arc<dyn AppListener>,
    ) -> Self {
        let task = rt.spawn(async move {
            loop {
                match events.recv().await {
                    Ok(ev) => listener.on_event(ev.into()),
                    // Too slow: the oldest updates were overwritten. Screens re-read state on
                    // the next update, so carrying on is correct.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                }
            }
        });
        Self {
            task: Mutex::new(Some(task)),
        }
    }

    fn stop(&self) {
        let task = match self.task.lock() {
            Ok(mut t) => t.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(t) = task {
            t.abort();
        }
    }
}

#[uniffi::export]
impl ListenerHandle {
    /// Stops delivering events (idempotent). An event being delivered right now completes.
    pub fn cancel(&self) {
        self.stop();
    }

    /// `true` until the listener was cancelled (or its app went away).
    pub fn is_active(&self) -> bool {
        match self.task.lock() {
            Ok(t) => t.as_ref().is_some_and(|t| !t.is_finished()),
            Err(_) => false,
        }
    }
}

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Sends every event it receives to a channel the test reads.
    struct Probe(Mutex<mpsc::Sender<AppEventRecord>>);

    impl AppListener for Probe {
        fn on_event(&self, event: AppEventRecord) {
            if let Ok(tx) = self.0.lock() {
                let _ = tx.send(event);
            }
        }
    }

    fn probe() -> (Arc<dyn AppListener>, mpsc::Receiver<AppEventRecord>) {
        let (tx, rx) = mpsc::channel();
        (Arc::new(Probe(Mutex::new(tx))), rx)
    }

    const WAIT: Duration = Duration::from_secs(10);

    fn met(n: &str) -> AppEvent {
        AppEvent::DealMet { nego: n.into() }
    }

    /// Publishes `ev` on the app channel (buffered for subscribers that have not polled yet).
    fn deliver(tx: &broadcast::Sender<AppEvent>, ev: AppEvent) {
        let _ = tx.send(ev);
    }

    #[test]
    fn events_arrive_in_order_until_cancel() {
        let rt = listener_runtime().unwrap();
        let (tx, _keep) = broadcast::channel(16);
        let (listener, rx) = probe();
        let handle = ListenerHandle::spawn(&rt, tx.subscribe(), listener);
        assert!(handle.is_active());
        deliver(&tx, met("a"));
        deliver(&tx, met("b"));
        assert_eq!(
            rx.recv_timeout(WAIT).unwrap(),
            AppEventRecord::DealMet { nego: "a".into() }
        );
        assert_eq!(
            rx.recv_timeout(WAIT).unwrap(),
            AppEventRecord::DealMet { nego: "b".into() }
        );
        handle.cancel();
        handle.cancel(); // idempotent
        assert!(!handle.is_active());
        deliver(&tx, met("c"));
        // The task is gone: its Probe (and sender) are dropped, so the channel disconnects
        // instead of ever delivering "c".
        assert_eq!(
            rx.recv_timeout(WAIT),
            Err(mpsc::RecvTimeoutError::Disconnected)
        );
    }

    #[test]
    fn dropping_the_handle_stops_the_listener() {
        let rt = listener_runtime().unwrap();
        let (tx, _keep) = broadcast::channel(16);
        let (listener, rx) = probe();
        let handle = ListenerHandle::spawn(&rt, tx.subscribe(), listener);
        deliver(&tx, met("a"));
        assert!(rx.recv_timeout(WAIT).is_ok());
        drop(handle);
        deliver(&tx, met("b"));
        assert_eq!(
            rx.recv_timeout(WAIT),
            Err(mpsc::RecvTimeoutError::Disconnected)
        );
    }

    #[test]
    fn the_listener_ends_when_the_app_channel_closes() {
        let rt = listener_runtime().unwrap();
        let (tx, rx_app) = broadcast::channel::<AppEvent>(16);
        let (listener, rx) = probe();
        let handle = ListenerHandle::spawn(&rt, rx_app, listener);
        drop(tx);
        assert_eq!(
            rx.recv_timeout(WAIT),
            Err(mpsc::RecvTimeoutError::Disconnected)
        );
        // The task drops its future just before it is marked finished.
        let deadline = std::time::Instant::now() + WAIT;
        while handle.is_active() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!handle.is_active());
    }

    #[test]
    fn a_lagging_listener_skips_overwritten_events_and_continues() {
        let rt = listener_runtime().unwrap();
        let (tx, _keep) = broadcast::channel(2);
        // Subscribe first, fill past capacity before the task runs, then start it.
        let sub = tx.subscribe();
        for n in ["1", "2", "3", "4"] {
            deliver(&tx, met(n));
        }
        let (listener, rx) = probe();
        let _handle = ListenerHandle::spawn(&rt, sub, listener);
        assert_eq!(
            rx.recv_timeout(WAIT).unwrap(),
            AppEventRecord::DealMet { nego: "3".into() }
        );
        assert_eq!(
            rx.recv_timeout(WAIT).unwrap(),
            AppEventRecord::DealMet { nego: "4".into() }
        );
    }
}
