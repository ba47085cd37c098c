package app.freeport.core

import java.io.File
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

private const val NIP19_HEX = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
private const val NIP19_NPUB = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
private const val NIP19_NSEC = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"

/** An app that never connects (no relays): everything here is local. */
private fun offline(name: String, store: SecretStore = MemoryStore()) = phone(name, emptyList(), store)

class FreeFunctionsTest {
    @Test
    fun `coreVersion is the workspace crate version`() {
        val cargoToml = File("../../Cargo.toml").readText()
        val workspaceVersion = Regex("""\[workspace\.package][^\[]*?\bversion\s*=\s*"([^"]+)"""")
            .find(cargoToml)?.groupValues?.get(1)
        assertEquals(workspaceVersion, coreVersion())
    }

    @Test
    fun `validateNpub canonicalises and refuses a secret key with a typed error`() {
        assertEquals(NIP19_NPUB, validateNpub(NIP19_HEX))
        assertEquals(NIP19_NPUB, validateNpub("  nostr:$NIP19_NPUB\n"))
        val empty = assertFailsWith<FreeportException.InvalidInput> { validateNpub("   ") }
        assertEquals(listOf(FieldViolation("npub", Rule.Required)), empty.violations)
        val nsec = assertFailsWith<FreeportException.InvalidInput> { validateNpub(NIP19_NSEC) }
        assertEquals(listOf<Rule>(Rule.IsSecretKey), nsec.rulesOn("npub"))
        assertFalse(nsec.toString().contains(NIP19_NSEC))
        // The backup passphrase rule, for feedback while typing.
        assertEquals(
            listOf(FieldViolation("passphrase", Rule.TooShort(8u)), FieldViolation("confirmation", Rule.Mismatch)),
            checkPassphrase("short", "other", PassphrasePurpose.NEW_BACKUP),
        )
        assertTrue(checkPassphrase("x", null, PassphrasePurpose.RESTORE).isEmpty())
    }

    @Test
    fun `defaultConfig, fullNumberWarning and geohashFor`() {
        val c = defaultConfig("/data/app")
        assertEquals("/data/app", c.dataDir)
        assertTrue(c.relays.isEmpty(), "the saved relay settings are used: ${c.relays}")
        assertTrue(c.indexRelays.isNotEmpty() && c.indexRelays.all { it.startsWith("wss://") }, "${c.indexRelays}")
        assertEquals(12.toUByte(), c.intentPowBits)
        assertTrue(fullNumberWarning().isNotBlank())
        assertEquals("w21z74", geohashFor(1.2881, 103.8483, 6u))
        val bad = assertFailsWith<FreeportException.InvalidInput> { geohashFor(91.0, 0.0, 5u) }
        assertEquals("lat", bad.field)
        assertEquals("precision", assertFailsWith<FreeportException.InvalidInput> { geohashFor(0.0, 0.0, 0u) }.field)
    }
}

class TypedErrorsTest {
    @Test
    @Timeout(60)
    fun `errors arrive as typed exceptions with fields`() = runBlocking {
        val app = offline("errors")
        assertFailsWith<FreeportException.NoIdentity> { app.myIntents() }
        assertNull(app.identity())
        app.createIdentity()
        val again = assertFailsWith<FreeportException.NotPossible> { app.createIdentity() }
        assertEquals(Refusal.IdentityExists, again.refusal)

        val market = assertFailsWith<FreeportException.UnknownMarket> {
            app.postIntent(PostIntentInput("pets", IntentSide.OFFER, "Cat", emptyList(), null, null, 0u))
        }
        assertEquals("pets", market.market)
        assertEquals("unknown market `pets`", market.toString())

        // Every violation at once, each on its field; nothing is published.
        val form = assertFailsWith<FreeportException.InvalidInput> {
            app.postIntent(
                PostIntentInput(
                    "goods/1", IntentSide.OFFER, "",
                    listOf(FormEntry("/price", EntryValue.Text("ten")), FormEntry("/location", EntryValue.Place("x", "w21z!"))),
                    "w21z7a!", 0uL, 0u,
                ),
            )
        }
        assertEquals(listOf<Rule>(Rule.Required), form.rulesOn("title"))
        assertEquals(listOf<Rule>(Rule.NotANumber), form.rulesOn("/price"))
        assertEquals(listOf<Rule>(Rule.BadFormat(Format.GEOHASH)), form.rulesOn("/location/geohash"))
        assertEquals(listOf<Rule>(Rule.BadFormat(Format.GEOHASH)), form.rulesOn("geohash"))
        assertEquals(listOf<Rule>(Rule.NotPositive), form.rulesOn("expires_in"))
        assertTrue(app.myIntents().isEmpty())
        val pow = assertFailsWith<FreeportException.InvalidInput> {
            app.postIntent(PostIntentInput("goods/1", IntentSide.OFFER, "Bike", bikeEntries(10), null, null, 99u))
        }
        assertEquals("pow_bits", pow.field)

        val code = assertFailsWith<FreeportException.InvalidCode> { app.meetScanText("https://example.com") }
        assertEquals(CodeProblem.NotFreeport, code.problem)
        val cut = assertFailsWith<FreeportException.InvalidCode> { app.meetScanText("FPM1:ABC") }
        assertTrue(cut.problem is CodeProblem.Incomplete, "${cut.problem}")
        val picture = assertFailsWith<FreeportException.InvalidCode> { app.meetScanImage(byteArrayOf(1, 2, 3)) }
        assertEquals(CodeProblem.BadImage, picture.problem)
        val frame = assertFailsWith<FreeportException.InvalidInput> { app.meetScanFrame(100u, 100u, 100u, ByteArray(10)) }
        assertEquals("frame", frame.field)

        assertEquals("nope", assertFailsWith<FreeportException.UnknownNegotiation> { app.deal("nope") }.nego)
        assertEquals("ab", assertFailsWith<FreeportException.UnknownIntent> { app.quotes("ab") }.id)
        assertEquals("terms_json", assertFailsWith<FreeportException.InvalidInput> {
            app.respondCounter("00".repeat(32), "42")
        }.field)
        assertEquals("pubkey", assertFailsWith<FreeportException.InvalidInput> { app.screen("bob", false) }.field)
        assertFailsWith<FreeportException.Offline> { app.sync() }
        assertFailsWith<FreeportException.Offline> { app.watchMarket("goods") }
        app.close()
    }

    @Test
    @Timeout(60)
    fun `a bad config is refused before anything is opened`() {
        val c = defaultConfig(tempDir("badcfg").toString()).copy(geohashPrecision = 0u)
        val e = assertFailsWith<FreeportException.InvalidInput> { FreeportApp(c, MemoryStore()) }
        assertEquals("geohash_precision", e.field)
    }

    @Test
    @Timeout(120)
    fun `backup restores on a new phone and a wrong passphrase changes nothing`() {
        val old = offline("old")
        val id = old.createIdentity()
        val backup = old.exportBackup("correct horse battery staple")
        assertTrue(backup.startsWith("ncryptsec1"))
        val fresh = offline("new")
        assertFailsWith<FreeportException.WrongPassphrase> { fresh.restoreIdentity(backup, "wrong passphrase!!") }
        assertFalse(fresh.hasIdentity())
        assertEquals("ncryptsec", assertFailsWith<FreeportException.InvalidInput> {
            fresh.restoreIdentity("ncryptsec1garbage", "x")
        }.field)
        assertEquals(listOf<Rule>(Rule.TooShort(8u)), assertFailsWith<FreeportException.InvalidInput> {
            old.exportBackup("seven!!")
        }.rulesOn("passphrase"))
        assertEquals(id, fresh.restoreIdentity(backup, "correct horse battery staple"))
        assertEquals(id, fresh.identity())
        old.close()
        fresh.close()
    }
}

class RelaySettingsFromKotlinTest {
    @Test
    fun `relay settings are kept by the core and refusals are typed per entry`() = runBlocking<Unit> {
        val app = offline("relays")
        val first = app.relaySettings()
        assertFalse(first.saved)
        assertTrue(first.read.all { it.startsWith("wss://") }, "${first.read}")
        val e = assertFailsWith<FreeportException.InvalidRelays> {
            app.setRelaySettings(listOf("wss://ok.example.com", "wss://10.0.0.1 x"), emptyList(), null)
        }
        assertEquals(
            listOf(
                RelayViolationRecord(RelayListRole.READ, 1u, "wss://10.0.0.1 x", RelayUrlRule.HostileShape),
                RelayViolationRecord(RelayListRole.WRITE, null, null, RelayUrlRule.ListEmpty),
            ),
            e.violations,
        )
        assertEquals(first, app.relaySettings(), "nothing changed")
        assertEquals(e.violations, app.checkRelaySettings(listOf("wss://ok.example.com", "wss://10.0.0.1 x"), emptyList(), null))
        val set = app.setRelaySettings(null, null, listOf("wss://Inbox.example.com/"))
        assertEquals(listOf("wss://inbox.example.com"), set.inbox)
        assertEquals(first.read, set.read)
        assertTrue(set.saved)
        assertFalse(set.published, "published at the next sync")
        app.close()
    }
}

class SecretStoreFromKotlinTest {
    @Test
    fun `identity and data key live in the Kotlin store and survive a restart`() {
        val store = MemoryStore()
        val dir = tempDir("restart").toString()
        val config = defaultConfig(dir).copy(relays = emptyList())
        val first = FreeportApp(config, store)
        val id = first.createIdentity()
        assertTrue(store.values.containsKey(IDENTITY_KEY))
        first.close()
        val second = FreeportApp(config, store)
        assertEquals(id, second.identity())
        second.close()
    }

    @Test
    fun `a typed exception thrown by the Kotlin store reaches the caller as SecretStore`() {
        val e = assertFailsWith<FreeportException.SecretStore> {
            offline("locked", ThrowingStore(SecretStoreException.Locked("device is locked")))
        }
        assertTrue(e.reason.contains("device is locked"), e.reason)
    }

    @Test
    fun `an untyped exception thrown by the Kotlin store is caught, never a crash`() {
        val e = assertFailsWith<FreeportException.SecretStore> {
            offline("exploded", ThrowingStore(IllegalStateException("keystore exploded")))
        }
        assertTrue(e.reason.contains("keystore exploded"), e.reason)
    }

    @Test
    fun `a store that cannot write the identity fails create and leaves the app usable`() {
        val app = offline("half", FailingSetStore(IDENTITY_KEY, IllegalStateException("no room")))
        val e = assertFailsWith<FreeportException.SecretStore> { app.createIdentity() }
        assertTrue(e.reason.contains("no room"), e.reason)
        assertFalse(app.hasIdentity())
        assertTrue(app.markets().isNotEmpty())
        app.close()
    }
}

class CancellationTest {
    @Test
    @Timeout(60)
    fun `cancelling a suspended call drops the Rust future and the app stays usable`() = runBlocking {
        val app = offline("cancel")
        app.createIdentity()
        // Offline, the intent waits in the outbox; flushing it would wait the full 10 minutes.
        app.postIntent(PostIntentInput("goods/1", IntentSide.OFFER, "Bike", bikeEntries(50), null, null, 0u))
        assertEquals(1, app.outbox().size)
        val call = async(start = CoroutineStart.UNDISPATCHED) { app.flushOutbox(600_000uL) }
        delay(300)
        assertTrue(call.isActive, "flushOutbox is suspended in Rust")
        call.cancel()
        assertFailsWith<CancellationException> { call.await() }
        assertTrue(call.isCancelled)
        // The cancelled future released everything it held: the app answers at once.
        assertEquals(1u, app.flushOutbox(0uL))
        assertEquals(1, app.outbox().size)
        app.close()
    }
}

class ListenerTest {
    @Test
    @Timeout(120)
    fun `listeners receive IntentSeen from a watched market until their handle is cancelled`() = runBlocking {
        val relay = EmbeddedRelayHandle.start()
        val alice = phone("l-alice", listOf(relay.url()))
        val bob = phone("l-bob", listOf(relay.url()))
        listOf(alice, bob).forEach {
            it.createIdentity()
            it.startNetwork()
            assertEquals(1u, it.waitConnected(10_000uL))
        }
        bob.watchMarket("goods")
        val cancelled = Recorder()
        val kept = Recorder()
        val cancelledHandle = bob.subscribe(cancelled)
        val keptHandle = bob.subscribe(kept)

        fun seen(r: Recorder, id: String) =
            r.events.filterIsInstance<AppEventRecord.IntentSeen>().firstOrNull { it.intentId == id }

        val first = alice.postIntent(PostIntentInput("goods/1", IntentSide.OFFER, "A", bikeEntries(1), null, null, 0u))
        alice.flushOutbox(10_000uL)
        val event = eventually("both listeners see the first intent") {
            seen(cancelled, first.id)?.let { seen(kept, first.id) }
        }
        assertEquals(first.market, event.market)

        cancelledHandle.cancel()
        assertFalse(cancelledHandle.isActive())
        assertTrue(keptHandle.isActive())
        val second = alice.postIntent(PostIntentInput("goods/1", IntentSide.OFFER, "B", bikeEntries(2), null, null, 0u))
        alice.flushOutbox(10_000uL)
        eventually("the kept listener sees the second intent") { seen(kept, second.id) }
        assertNull(seen(cancelled, second.id), "no event after cancel")

        // Closing the handle (what the garbage collector does) stops it too.
        keptHandle.close()
        listOf(alice, bob).forEach { it.stopNetwork(); it.close() }
        relay.stop()
    }
}
