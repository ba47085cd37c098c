//! A scripted relay on loopback for the hostile-relay and end-to-end suites (included with
//! `#[path]`): a handler decides what to answer to each client message, so a test can make a
//! relay lie, hang, drop, or skip deliveries.

#![allow(dead_code)] // each including test binary uses a different subset

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use nostr::{Event, EventId, JsonUtil};
use serde_json::Value;
use tungstenite::Message;

/// What the relay does after a client message.
pub enum Out {
    Text(String),
    /// Drop the TCP connection without a close handshake (a crash, a cut cable).
    Drop,
}

type Handler = Arc<dyn Fn(&Value, usize) -> Vec<Out> + Send + Sync>;

/// A scripted relay: calls `handler(message, connection_index)` for every client message.
pub struct Scripted {
    pub url: String,
    /// Every client message, in arrival order.
    pub received: Arc<Mutex<Vec<Value>>>,
}

impl Scripted {
    /// Starts one on a free loopback port.
    pub fn spawn(handler: impl Fn(&Value, usize) -> Vec<Out> + Send + Sync + 'static) -> Self {
        Self::spawn_slow(Duration::ZERO, handler)
    }

    /// Like [`Scripted::spawn`], but every WebSocket handshake completes only after
    /// `handshake_delay` (a slow mobile network).
    pub fn spawn_slow(
        handshake_delay: Duration,
        handler: impl Fn(&Value, usize) -> Vec<Out> + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let handler: Handler = Arc::new(handler);
        let received = Arc::new(Mutex::new(Vec::new()));
        let rec = received.clone();
        thread::spawn(move || {
            for (idx, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let (h, rec) = (handler.clone(), rec.clone());
                thread::spawn(move || {
                    thread::sleep(handshake_delay);
                    let Ok(mut ws) = tungstenite::accept(stream) else {
                        return;
                    };
                    loop {
                        match ws.read() {
                            Ok(Message::Text(t)) => {
                                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
                                    continue;
                                };
                                rec.lock().expect("lock").push(v.clone());
                                for out in h(&v, idx) {
                                    match out {
                                        Out::Text(s) => {
                                            if ws.send(Message::text(s)).is_err() {
                                                return;
                                            }
                                        }
                                        Out::Drop => return,
                                    }
                                }
                            }
                            Ok(_) => {}
                            Err(_) => return,
                        }
                    }
                });
            }
        });
        Self {
            url: format!("ws://127.0.0.1:{port}"),
            received,
        }
    }

    /// Events the client published to this relay (deduplicated by id).
    pub fn published(&self) -> Vec<EventId> {
        let mut ids: Vec<EventId> = self
            .received
            .lock()
            .expect("lock")
            .iter()
            .filter(|v| v[0] == "EVENT")
            .filter_map(|v| Event::from_json(v[1].to_string()).ok())
            .map(|e| e.id)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}
