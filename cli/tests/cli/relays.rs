//! `freeport relays`: the list (`--json`), `set` replacing only the lists given, refusals naming
//! each bad entry (nothing changes), `--relay` at `init` saved as the settings, a legacy
//! `relays.txt` migrated, and a change published at the next sync (kinds 10002 and 10050).

use std::sync::Arc;
use std::time::Duration;

use freeport_core::relay::lists::{KIND_INBOX_RELAYS, KIND_RELAY_LIST};
use freeport_core::relay::{MemoryOutbox, RelayClient, RelayConfig};
use nostr::{Event, Filter, Keys, Kind, PublicKey};
use serde_json::json;

use crate::harness::{Home, Relay};

/// The relay lists of `who` on `relay`.
fn lists_on(relay: &str, who: &str) -> Vec<Event> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let (c, _i) = RelayClient::start(
            Keys::generate(),
            RelayConfig::new(vec![relay.to_string()]),
            Arc::new(MemoryOutbox::new()),
        )
        .await
        .expect("observer");
        c.wait_for_connected(1, Duration::from_secs(30)).await;
        let f = Filter::new()
            .kinds([
                Kind::Custom(KIND_RELAY_LIST),
                Kind::Custom(KIND_INBOX_RELAYS),
            ])
            .author(PublicKey::from_hex(who).expect("hex"));
        let got = c.query(f, Duration::from_secs(10)).await.expect("query");
        c.shutdown().await;
        got.into_iter().map(|v| v.into_event()).collect()
    })
}

#[test]
fn relays_are_listed_set_per_list_refused_with_reasons_and_published_at_the_next_sync() {
    let relay = Relay::embedded();
    let other = Relay::embedded();
    let (r, o) = (relay.url(), other.url());
    // `--relay` at init: the read, write and inbox relays from now on.
    let h = Home::init(std::slice::from_ref(&r), "Rita");
    let v = h.run_bare(&["relays", "--json"]).json();
    assert_eq!(v["read"], json!([r]));
    assert_eq!(v["write"], json!([r]));
    assert_eq!(v["inbox"], json!([r]));
    assert_eq!(v["saved"], json!(true));
    assert_eq!(v["published"], json!(false));
    let text = h.run_bare(&["relays", "--index-relay", &r]).ok();
    assert!(text.contains(&format!("inbox  {r}")), "{text}");

    // `set` replaces only the lists given.
    let v = h
        .run_bare(&["relays", "set", "--inbox", &o, "--inbox", &r, "--json"])
        .json();
    assert_eq!(v["inbox"], json!([o, r]));
    assert_eq!(v["read"], json!([r]));
    assert_eq!(v["write"], json!([r]));

    // A refusal names the entry and the rule; nothing changes.
    let line = h
        .run_bare(&[
            "relays",
            "set",
            "--read",
            "https://relay.example.com",
            "--write",
            &r,
        ])
        .refused(
            3,
            "read relay `https://relay.example.com` must start with wss://",
        );
    assert!(!line.contains("write"), "{line}");
    h.run_bare(&["relays", "set", "--write", &r, "--write", &format!("{r}/")])
        .refused(3, "already in the list");
    assert_eq!(h.run_bare(&["relays", "--json"]).json()["read"], json!([r]));
    // `set` with no list is a usage error.
    assert_eq!(h.run_bare(&["relays", "set"]).code, 2);

    // `--relay` replaces the read and write relays for one run only.
    let v = h.run(&["relays", "--json"]).json();
    assert_eq!(v["overridden"], json!(false), "the same relays: {v}");

    // The next sync publishes the lists: on our write relay, and the index relay given.
    let (hex, _) = h.whoami();
    assert!(lists_on(&o, &hex).is_empty());
    h.run_bare(&["sync", "--index-relay", &o]).ok();
    assert_eq!(
        h.run_bare(&["relays", "--json"]).json()["published"],
        json!(true)
    );
    for url in [&r, &o] {
        let lists = lists_on(url, &hex);
        assert_eq!(lists.len(), 2, "{url}: {lists:?}");
        let inbox = lists
            .iter()
            .find(|e| e.kind.as_u16() == KIND_INBOX_RELAYS)
            .expect("inbox list");
        let relays: Vec<String> = inbox
            .tags
            .iter()
            .filter_map(|t| t.as_slice().get(1).cloned())
            .collect();
        assert_eq!(relays, vec![o.clone(), r.clone()]);
    }
}

#[test]
fn an_earlier_relays_txt_becomes_the_settings_once() {
    let relay = Relay::embedded();
    let r = relay.url();
    // A home with no saved settings and an old-style file (a blank, a bad and a repeated line).
    let h = Home::new(&[]);
    let file = h.path("relays.txt");
    std::fs::write(&file, format!("{r}\n\nhttp://not-a-relay\n{r}/\n")).expect("write");
    let run = h.run_bare(&["relays", "--json", "--index-relay", &r]);
    assert!(run.stderr.contains("relays.txt"), "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["read"], json!([r]));
    assert_eq!(v["write"], json!([r]));
    assert_eq!(v["inbox"], json!([r]));
    assert_eq!(v["saved"], json!(true));
    assert!(!file.exists(), "the file is gone once imported");
    // Saved settings win over a file that reappears: it is only removed.
    std::fs::write(&file, "wss://other.example.com\n").expect("write");
    let v = h
        .run_bare(&["relays", "--json", "--index-relay", &r])
        .json();
    assert_eq!(v["read"], json!([r]));
    assert!(!file.exists());
}
