//! Background passes and notices, end to end over loopback relays: phones that are closed (no
//! network running) learn what happened only from `background_pass`, as a phone's periodic
//! background work would. Each notice is produced once, survives until acknowledged, carries no
//! contact details; a pass cut short by its budget loses and repeats nothing; hostile relays
//! cannot hold a pass past its budget nor make it skip what an honest relay holds.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::*;
use freeport_core::app::{
    App, MeetStep, Notice, NoticeChannel, NoticeKind, NoticeSettings, PassOutcome, ProfileUpdate,
    RateInput, Response, ScanInput,
};
use freeport_core::protocol::envelope::EnvelopeType;
use freeport_core::relay::Transport;
use nostr::{Event, EventBuilder, JsonUtil, Keys, Kind, Tag, Timestamp};
use serde_json::{Value, json};

#[path = "../../tests/support/scripted_relay.rs"]
mod scripted_relay;
use scripted_relay::{Out, Scripted};

/// What a phone's background work would get: a generous budget.
const BUDGET: Duration = Duration::from_secs(30);

/// Runs `f` with the network up (the user opened the app), then publishes and closes.
async fn opened<T>(p: &Person, f: impl AsyncFnOnce(&App) -> T) -> T {
    p.connect().await;
    let out = f(&p.app).await;
    p.flushed().await;
    p.app.stop_network().await;
    out
}

/// One background pass that must complete; returns its notices and acknowledges them (as the
/// platforms do once they posted them).
async fn pass(p: &Person) -> Vec<Notice> {
    let r = p.app.background_pass(BUDGET).await.expect("pass");
    assert_eq!(r.outcome, PassOutcome::Complete, "{}: {r:?}", p.name);
    assert!(!r.more_notices);
    let ids: Vec<u64> = r.notices.iter().map(|n| n.id).collect();
    assert_eq!(p.app.ack_notices(&ids).expect("ack"), ids.len());
    r.notices
}

/// (code, nego) of each notice.
fn kinds(ns: &[Notice]) -> Vec<(&'static str, String)> {
    let mut v: Vec<_> = ns
        .iter()
        .map(|n| {
            (
                n.kind.code(),
                n.deal.as_ref().map(|d| d.nego.clone()).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

fn want(items: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut v: Vec<_> = items.iter().map(|(k, n)| (*k, n.to_string())).collect();
    v.sort();
    v
}

async fn with_phone(name: &'static str, relays: &[String], phone: &str) -> Person {
    let p = Person::offline(name, relays);
    opened(&p, async |app| {
        app.set_profile(ProfileUpdate {
            name: Some(name.into()),
            phone: Some(phone.into()),
            ..Default::default()
        })
        .await
        .expect("profile");
    })
    .await;
    p
}

/// Nothing a notice says may reveal a contact or a key.
fn assert_discreet(ns: &[Notice], secrets: &[&str]) {
    for n in ns {
        let text = serde_json::to_string(n).expect("json");
        for s in secrets {
            assert!(!text.contains(s), "notice reveals {s}: {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_phones_learn_every_step_of_a_deal_once_from_background_passes() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = with_phone("Alice", &relays, "+65 9123 4567").await;
    let bob = with_phone("Bob", &relays, "+65 8765 4321").await;
    let carol = Person::offline("Carol", &relays);
    let secrets = [
        "91234567",
        "87654321",
        "9123 4567",
        "8765 4321",
        &alice.keys.secret_key().to_secret_hex(),
        &bob.keys.secret_key().to_secret_hex(),
    ];
    // Nothing yet.
    assert!(pass(&alice).await.is_empty());

    let intent = opened(&alice, async |a| {
        a.post_intent(freeport_core::app::PostIntent {
            market: "goods/1".into(),
            side: freeport_core::protocol::intent::Side::Request,
            title: "Wanted: city bike".into(),
            payload: freeport_core::app::Payload::Json(json!({
                "item": "city bike", "condition": "good", "price": 100, "currency": "SGD",
                "location": {"name": "Tanjong Pagar MRT", "geohash": WHERE}
            })),
            geohash: Some(WHERE.into()),
            expires_in_secs: Some(3600),
            pow_bits: Some(0),
            window: None,
            flex_minutes: None,
        })
        .await
        .expect("post")
    })
    .await;
    let b_nego = opened(&bob, async |a| {
        let i = bob.find(&intent.id).await;
        a.respond(&i.id, Response::Counter(priced(&intent_terms(&i), 90)))
            .await
            .expect("respond")
            .nego
    })
    .await;
    let c_nego = opened(&carol, async |a| {
        carol.find(&intent.id).await;
        a.respond(&intent.id, Response::Accept)
            .await
            .expect("accept")
            .nego
    })
    .await;

    // Two new quotes, each once, grouped by deal; the same pass again has nothing new.
    let got = pass(&alice).await;
    assert_eq!(
        kinds(&got),
        want(&[("new_quote", &b_nego), ("new_quote", &c_nego)])
    );
    let of = |n: &str| {
        got.iter()
            .find(|x| x.deal.as_ref().unwrap().nego == n)
            .unwrap()
    };
    assert_eq!(
        of(&b_nego).kind,
        NoticeKind::NewQuote {
            accepted_as_posted: false
        }
    );
    assert_eq!(
        of(&c_nego).kind,
        NoticeKind::NewQuote {
            accepted_as_posted: true
        }
    );
    let deal = of(&b_nego).deal.clone().unwrap();
    assert_eq!(deal.intent_id, intent.id);
    assert_eq!(deal.intent_title, "Wanted: city bike");
    assert_eq!(deal.market, intent.market);
    assert!(got.iter().all(|n| n.channel == NoticeChannel::Deals));
    assert!(pass(&alice).await.is_empty(), "nothing is told twice");

    // Alice counters Bob; Bob hears it; Bob accepts; Alice hears it.
    opened(&alice, async |a| {
        let d = a.deal(&b_nego).expect("deal");
        let t: serde_json::Map<String, Value> = serde_json::from_str(&d.terms_json).unwrap();
        let terms = freeport_core::protocol::envelope::Terms::from_map(&t).unwrap();
        a.counter(&b_nego, priced(&terms, 95))
            .await
            .expect("counter");
    })
    .await;
    assert_eq!(kinds(&pass(&bob).await), want(&[("counter", &b_nego)]));
    opened(&bob, async |a| {
        a.accept(&b_nego).await.expect("accept");
    })
    .await;
    assert_eq!(kinds(&pass(&alice).await), want(&[("accepted", &b_nego)]));

    // Alice picks Bob: Bob is confirmed, Carol is told it was filled.
    opened(&alice, async |a| {
        a.pick(&b_nego).await.expect("pick");
    })
    .await;
    let bob_got = pass(&bob).await;
    assert_eq!(kinds(&bob_got), want(&[("confirmed", &b_nego)]));
    assert_eq!(kinds(&pass(&carol).await), want(&[("filled", &c_nego)]));
    assert_eq!(
        bob.deal(&b_nego).state,
        freeport_core::app::DealState::Confirmed
    );
    assert!(
        bob.deal(&b_nego).their_contact.is_some(),
        "the deal has the contact; the notice does not"
    );
    assert_discreet(&bob_got, &secrets);

    // The meetup, offline: Alice shows, Bob scans. Bob's own scan tells Bob nothing.
    let token = alice.app.meet_show(&b_nego, 256).expect("show").token;
    bob.app
        .meet_scan(ScanInput::Text(token))
        .await
        .expect("scan");
    assert!(pass(&bob).await.is_empty());
    // Alice hears once, although both the status message and the receipts tell her.
    let alice_got = pass(&alice).await;
    assert_eq!(kinds(&alice_got), want(&[("meet", &b_nego)]));
    assert_eq!(
        alice_got[0].kind,
        NoticeKind::Meet {
            step: MeetStep::ScannedYourCode
        }
    );
    assert_eq!(
        alice.deal(&b_nego).state,
        freeport_core::app::DealState::Met
    );
    // Alice's phone recording it tells Bob it is on both phones.
    let bob_got = pass(&bob).await;
    assert_eq!(kinds(&bob_got), want(&[("meet", &b_nego)]));
    assert_eq!(
        bob_got[0].kind,
        NoticeKind::Meet {
            step: MeetStep::RecordedOnTheirPhone
        }
    );

    // Ratings, both ways; a rating's newer version says nothing new.
    let rate = RateInput {
        safe: true,
        reliable: true,
        score: None,
        reached_number: true,
    };
    opened(&bob, async |a| a.rate(&b_nego, rate).await.expect("rate")).await;
    let alice_got = pass(&alice).await;
    assert_eq!(kinds(&alice_got), want(&[("rating_received", &b_nego)]));
    assert_eq!(
        alice_got[0].kind,
        NoticeKind::RatingReceived {
            safe: Some(true),
            reliable: Some(true)
        }
    );
    assert_eq!(alice_got[0].channel, NoticeChannel::Ratings);
    opened(&alice, async |a| {
        a.rate(
            &b_nego,
            RateInput {
                reliable: false,
                ..rate
            },
        )
        .await
        .expect("rate")
    })
    .await;
    assert_eq!(
        kinds(&pass(&bob).await),
        want(&[("rating_received", &b_nego)])
    );
    assert_discreet(&alice_got, &secrets);

    // A latecomer quotes on the filled intent.
    let dave = Person::offline("Dave", &relays);
    let d_nego = opened(&dave, async |a| {
        dave.find(&intent.id).await;
        a.respond(
            &intent.id,
            Response::Counter(priced(&intent_terms(&intent), 70)),
        )
        .await
        .expect("respond")
        .nego
    })
    .await;
    // Alice's intent is filled: her phone answers Dave "Filled" by itself, and has nothing to
    // tell her.
    let late = pass(&alice).await;
    assert!(late.is_empty(), "{late:?}");
    assert_eq!(kinds(&pass(&dave).await), want(&[("filled", &d_nego)]));

    // Everything was acknowledged: nothing is pending anywhere.
    for p in [&alice, &bob, &carol, &dave] {
        assert!(p.app.pending_notices().expect("pending").is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacknowledged_notices_come_back_until_acknowledged_and_switched_off_channels_never() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::offline("Alice", &relays);
    let bob = Person::offline("Bob", &relays);
    let intent = opened(&alice, async |_| {
        alice.post_request("bike", 100, 3600).await
    })
    .await;
    let nego = opened(&bob, async |a| {
        let i = bob.find(&intent.id).await;
        a.respond(&i.id, Response::Counter(priced(&intent_terms(&i), 90)))
            .await
            .expect("respond")
            .nego
    })
    .await;
    // A pass whose notices were never acknowledged (the process died before posting them).
    let first = alice.app.background_pass(BUDGET).await.expect("pass");
    assert_eq!(kinds(&first.notices), want(&[("new_quote", &nego)]));
    let again = alice.app.background_pass(BUDGET).await.expect("pass");
    assert_eq!(
        again.notices, first.notices,
        "the same notice, same id, until acknowledged"
    );
    // Opening the deal acknowledges its notices.
    assert_eq!(alice.app.mark_deal_seen(&nego).expect("seen"), 1);
    assert!(alice.app.pending_notices().expect("pending").is_empty());
    assert!(matches!(
        alice.app.mark_deal_seen("not a nego"),
        Err(freeport_core::app::AppError::UnknownNegotiation { .. })
    ));

    // Bob switches deals off: Alice's counter is not shown now, nor when switched back on.
    bob.app
        .set_notice_settings(NoticeSettings {
            deals: false,
            ..Default::default()
        })
        .expect("settings");
    assert!(!bob.app.notice_settings().expect("settings").deals);
    opened(&alice, async |a| {
        a.counter(&nego, priced(&intent_terms(&intent), 80))
            .await
            .expect("counter");
    })
    .await;
    let muted = bob.app.background_pass(BUDGET).await.expect("pass");
    assert_eq!(muted.outcome, PassOutcome::Complete);
    assert!(muted.notices.is_empty(), "{:?}", muted.notices);
    bob.app
        .set_notice_settings(NoticeSettings::default())
        .expect("settings");
    assert!(bob.app.pending_notices().expect("pending").is_empty());
    assert_eq!(
        price_of(&bob.deal(&nego)),
        80,
        "the counter itself was applied"
    );
}

/// A counter from `from` on one of Alice's intents, on transport `t`.
fn quote(
    from: &Keys,
    intent: &freeport_core::app::IntentView,
    price: u32,
    t: Transport,
) -> (String, Event) {
    message_on(from, intent, EnvelopeType::Counter, price, now(), t)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_cut_short_by_their_budget_lose_nothing_and_repeat_nothing() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::offline("Alice", &relays);
    let intents = opened(&alice, async |_| {
        let mut v = Vec::new();
        for k in 0..3 {
            v.push(alice.post_request(&format!("bike {k}"), 100, 3600).await);
        }
        v
    })
    .await;
    // 150 quotes from 150 people (half NIP-17, half NIP-04), as they would sit on a relay.
    let obs = observer(&relays).await;
    let mut expected = HashSet::new();
    for k in 0..150 {
        let t = if k % 2 == 0 {
            Transport::Nip17
        } else {
            Transport::Nip04
        };
        let (nego, ev) = quote(&Keys::generate(), &intents[k % 3], 90, t);
        assert!(obs.publish_now(&ev).await.is_accepted());
        expected.insert(nego);
    }
    obs.shutdown().await;

    // Passes with a budget too small to finish, growing until one completes.
    let mut seen: HashMap<u64, String> = HashMap::new();
    let mut negos: HashSet<String> = HashSet::new();
    let mut cut = 0;
    let mut budget = Duration::from_millis(100);
    loop {
        let r = alice.app.background_pass(budget).await.expect("pass");
        for n in &r.notices {
            assert_eq!(n.kind.code(), "new_quote");
            let nego = n.deal.as_ref().expect("deal").nego.clone();
            assert!(
                seen.insert(n.id, nego.clone()).is_none(),
                "id {} repeated",
                n.id
            );
            assert!(negos.insert(nego.clone()), "{nego} told twice");
        }
        let ids: Vec<u64> = r.notices.iter().map(|n| n.id).collect();
        alice.app.ack_notices(&ids).expect("ack");
        match r.outcome {
            PassOutcome::Complete if !r.more_notices => break,
            PassOutcome::Complete => {}
            PassOutcome::Deadline => cut += 1,
            PassOutcome::Offline => panic!("offline"),
        }
        budget = budget.mul_f64(1.3).min(BUDGET);
    }
    assert!(cut >= 1, "no pass was cut short: the test proved nothing");
    assert_eq!(negos, expected, "every quote told exactly once");
    // And the negotiations are all there, once each.
    let deals = alice.app.deals().expect("deals");
    assert_eq!(deals.len(), 150);
    assert!(
        deals
            .iter()
            .all(|d| d.state == freeport_core::app::DealState::Open)
    );
    eprintln!("{cut} passes cut short before one completed");
}

fn ev_json(e: &Event) -> Value {
    serde_json::from_str(&e.as_json()).expect("json")
}

/// Junk a hostile relay sends: validly signed kind-4 events addressed to `to` at `at`.
fn junk(to: &nostr::PublicKey, at: u64, n: usize) -> Vec<Value> {
    let k = Keys::generate();
    (0..n)
        .map(|i| {
            let e = EventBuilder::new(Kind::EncryptedDirectMessage, format!("junk{i}"))
                .tags([Tag::public_key(*to)])
                .custom_created_at(Timestamp::from(at))
                .sign_with_keys(&k)
                .expect("sign");
            ev_json(&e)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_relays_cannot_hold_a_pass_past_its_budget_nor_hide_an_honest_relays_events() {
    let honest = embedded_relay().await;
    let alice = Person::offline("Alice", &[honest.url()]);
    let intent = opened(&alice, async |_| {
        alice.post_request("bike", 100, 3600).await
    })
    .await;
    // A genuine NIP-04 quote, before any flood.
    let obs = observer(&[honest.url()]).await;
    let (nego, ev) = quote(&Keys::generate(), &intent, 90, Transport::Nip04);
    assert!(obs.publish_now(&ev).await.is_accepted());
    obs.shutdown().await;
    let me = alice.keys.public_key();

    // 1. A relay that never ends a query and streams junk until the connection closes.
    let endless = Scripted::spawn(move |msg, _| {
        if msg[0] != "REQ" {
            return vec![];
        }
        let sub = msg[1].clone();
        let since = msg[2]["since"].as_u64().unwrap_or(0);
        let mut out = Vec::new();
        for _ in 0..20 {
            for e in junk(&me, since, 50) {
                out.push(Out::Text(json!(["EVENT", sub, e]).to_string()));
            }
        }
        out
    });
    // 2. A relay that answers every window with more than a page, ending each at its start.
    let full = Scripted::spawn(move |msg, _| {
        if msg[0] != "REQ" {
            return vec![];
        }
        let sub = msg[1].clone();
        let since = msg[2]["since"].as_u64().unwrap_or(0);
        let limit = msg[2]["limit"].as_u64().unwrap_or(10) as usize;
        let mut out: Vec<Out> = junk(&me, since, limit + 1)
            .into_iter()
            .map(|e| Out::Text(json!(["EVENT", sub, e]).to_string()))
            .collect();
        out.push(Out::Text(json!(["EOSE", sub]).to_string()));
        out
    });

    let mut alice = alice;
    for hostile in [&endless.url, &full.url] {
        alice.relaunch(std::slice::from_ref(hostile)).await;
        let budget = Duration::from_secs(3);
        let r = tokio::time::timeout(budget + PATIENCE, alice.app.background_pass(budget))
            .await
            .expect("the pass returns")
            .expect("pass");
        assert_eq!(r.outcome, PassOutcome::Deadline, "{hostile}: {r:?}");
        assert!(r.notices.is_empty());
        assert!(
            alice.app.deals().expect("deals").is_empty(),
            "junk changed nothing"
        );
    }

    // 3. The flooding relay next to the honest one: the honest one's complete answers carry
    //    the pass through, and the genuine quote is found.
    alice.relaunch(&[full.url.clone(), honest.url()]).await;
    let r = alice.app.background_pass(BUDGET).await.expect("pass");
    assert_eq!(r.outcome, PassOutcome::Complete, "{r:?}");
    assert_eq!(kinds(&r.notices), want(&[("new_quote", &nego)]));
    alice
        .app
        .ack_notices(&r.notices.iter().map(|n| n.id).collect::<Vec<_>>())
        .expect("ack");

    // 4. The honest relay alone: nothing new, nothing repeated.
    alice.relaunch(&[honest.url()]).await;
    assert!(pass(&alice).await.is_empty());
    assert_eq!(alice.app.deals().expect("deals").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_without_a_reachable_relay_is_offline_and_keeps_pending_notices() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::offline("Alice", &relays);
    let bob = Person::offline("Bob", &relays);
    let intent = opened(&alice, async |_| {
        alice.post_request("bike", 100, 3600).await
    })
    .await;
    let nego = opened(&bob, async |a| {
        let i = bob.find(&intent.id).await;
        a.respond(&i.id, Response::Accept)
            .await
            .expect("respond")
            .nego
    })
    .await;
    let first = alice.app.background_pass(BUDGET).await.expect("pass");
    assert_eq!(kinds(&first.notices), want(&[("new_quote", &nego)]));
    let mut alice = alice;
    let dead = format!(
        "ws://127.0.0.1:{}",
        freeport_core::relay::embedded::free_port().expect("port")
    );
    alice.relaunch(&[dead]).await;
    let r = alice
        .app
        .background_pass(Duration::from_secs(2))
        .await
        .expect("pass");
    assert_eq!(r.outcome, PassOutcome::Offline);
    assert_eq!(r.relays_connected, 0);
    assert_eq!(r.notices, first.notices, "still pending, same ids");
    // No identity: a typed error, nothing else.
    let nobody = App::open(
        Person::config(&alice.dir.join("other"), &relays),
        std::sync::Arc::new(freeport_core::identity::MemorySecretStore::new()),
    )
    .expect("open");
    assert!(matches!(
        nobody.background_pass(BUDGET).await,
        Err(freeport_core::app::AppError::NoIdentity)
    ));
}
