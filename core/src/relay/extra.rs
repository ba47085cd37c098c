//! Book-keeping of the on-demand connections to relays that are not ours (other people's inbox,
//! read and write relays, index relays): a global cap, leases while in use, least-recently-used
//! eviction of idle ones when the cap is reached, and closing after an idle period. Pure: the
//! client does the connecting and closing it decides.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use nostr::RelayUrl;

struct Slot {
    leases: usize,
    last_used: Instant,
}

/// What [`Extras::acquire`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Already open (or opening): leased.
    Present,
    /// Not open: open it (leased), after closing `evict` if given.
    Open { evict: Option<RelayUrl> },
    /// The cap is reached and every extra connection is in use: not opened.
    Refused,
}

/// The set of extra connections and their leases.
pub(crate) struct Extras {
    cap: usize,
    idle: Duration,
    slots: HashMap<RelayUrl, Slot>,
}

impl Extras {
    /// At most `cap` connections; an unused one is closed after `idle`.
    pub(crate) fn new(cap: usize, idle: Duration) -> Self {
        Self {
            cap,
            idle,
            slots: HashMap::new(),
        }
    }

    /// Leases `url` for one use (released with [`Extras::release`]).
    pub(crate) fn acquire(&mut self, url: &RelayUrl, now: Instant) -> Admit {
        if let Some(s) = self.slots.get_mut(url) {
            s.leases += 1;
            s.last_used = now;
            return Admit::Present;
        }
        let mut evict = None;
        if self.slots.len() >= self.cap {
            // The least recently used connection nobody is using.
            let victim = self
                .slots
                .iter()
                .filter(|(_, s)| s.leases == 0)
                .min_by(|a, b| a.1.last_used.cmp(&b.1.last_used).then(a.0.cmp(b.0)))
                .map(|(u, _)| u.clone());
            match victim {
                Some(v) => {
                    self.slots.remove(&v);
                    evict = Some(v);
                }
                None => return Admit::Refused,
            }
        }
        self.slots.insert(
            url.clone(),
            Slot {
                leases: 1,
                last_used: now,
            },
        );
        Admit::Open { evict }
    }

    /// Ends one lease of `url`.
    pub(crate) fn release(&mut self, url: &RelayUrl, now: Instant) {
        if let Some(s) = self.slots.get_mut(url) {
            s.leases = s.leases.saturating_sub(1);
            s.last_used = now;
        }
    }

    /// Removes and returns the connections unused for the idle period.
    pub(crate) fn take_idle(&mut self, now: Instant) -> Vec<RelayUrl> {
        let idle = self.idle;
        let victims: Vec<RelayUrl> = self
            .slots
            .iter()
            .filter(|(_, s)| s.leases == 0 && now.saturating_duration_since(s.last_used) >= idle)
            .map(|(u, _)| u.clone())
            .collect();
        for v in &victims {
            self.slots.remove(v);
        }
        victims
    }

    /// Forgets `url` (it became one of ours, or was removed).
    pub(crate) fn forget(&mut self, url: &RelayUrl) -> bool {
        self.slots.remove(url).is_some()
    }

    /// How many are open.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// `true` if `url` is an extra connection.
    #[cfg(test)]
    pub(crate) fn contains(&self, url: &RelayUrl) -> bool {
        self.slots.contains_key(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(i: usize) -> RelayUrl {
        RelayUrl::parse(&format!("wss://r{i}.example.com")).unwrap()
    }

    #[test]
    fn the_cap_evicts_the_least_recently_used_idle_connection_and_refuses_when_all_are_busy() {
        let t0 = Instant::now();
        let mut x = Extras::new(2, Duration::from_secs(60));
        assert_eq!(x.acquire(&u(1), t0), Admit::Open { evict: None });
        assert_eq!(
            x.acquire(&u(2), t0 + Duration::from_secs(1)),
            Admit::Open { evict: None }
        );
        assert_eq!(
            x.acquire(&u(1), t0 + Duration::from_secs(2)),
            Admit::Present
        );
        // Both busy: a third is refused.
        assert_eq!(
            x.acquire(&u(3), t0 + Duration::from_secs(3)),
            Admit::Refused
        );
        x.release(&u(2), t0 + Duration::from_secs(4));
        x.release(&u(1), t0 + Duration::from_secs(5));
        // r1 still has one lease (acquired twice); r2 is idle: it goes.
        assert_eq!(
            x.acquire(&u(3), t0 + Duration::from_secs(6)),
            Admit::Open { evict: Some(u(2)) }
        );
        assert_eq!(x.len(), 2);
        assert!(x.contains(&u(1)) && x.contains(&u(3)) && !x.contains(&u(2)));
    }

    #[test]
    fn unused_connections_close_after_the_idle_period_used_ones_never() {
        let t0 = Instant::now();
        let mut x = Extras::new(8, Duration::from_secs(60));
        x.acquire(&u(1), t0);
        x.acquire(&u(2), t0);
        x.release(&u(1), t0 + Duration::from_secs(10));
        assert!(x.take_idle(t0 + Duration::from_secs(69)).is_empty());
        assert_eq!(x.take_idle(t0 + Duration::from_secs(70)), vec![u(1)]);
        // r2 is leased: never idle, however long.
        assert!(x.take_idle(t0 + Duration::from_secs(10_000)).is_empty());
        assert!(x.forget(&u(2)));
        assert_eq!(x.len(), 0);
    }
}
