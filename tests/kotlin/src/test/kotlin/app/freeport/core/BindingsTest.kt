package app.freeport.core

import java.io.File
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.runInterruptible
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Timeout
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue

private const val NIP19_HEX = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
private const val NIP19_NPUB = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
private const val NIP19_NSEC = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
private const val IDENTITY_KEY = "freeport.nostr.secret_key.v1"

/** A Kotlin SecretStore over a map, counting writes; the shape a real Keystore store has. */
private open class MemoryStore : SecretStore {
    val values = ConcurrentHashMap<String, ByteArray>()
    val puts = AtomicInteger()

    override fun get(key: String): ByteArray? = values[key]?.copyOf()

    override fun put(key: String, value: ByteArray) {
        puts.incrementAndGet()
        values[key] = value.copyOf()
    }

    override fun delete(key: String) {
        values.remove(key)
    }
}

/** A store whose every call throws [error]. */
private class ThrowingStore(private val error: Exception) : SecretStore {
    override fun get(key: String): ByteArray? = throw error
    override fun put(key: String, value: ByteArray) = throw error
    override fun delete(key: String) = throw error
}

/** Blocks inside `get` until released, so a call can be cancelled while Rust awaits the store. */
private class GateStore : MemoryStore() {
    val entered = CountDownLatch(1)
    val release = CountDownLatch(1)
    val returned = CountDownLatch(1)
    @Volatile var gated = true

    override fun get(key: String): ByteArray? {
        if (!gated) return super.get(key)
        entered.countDown()
        release.await()
        return super.get(key).also { returned.countDown() }
    }
}

class SyncFunctionsTest {
    @Test
    fun `coreVersion is the workspace crate version`() {
        val cargoToml = File("../../Cargo.toml").readText()
        val workspaceVersion = Regex("""\[workspace\.package][^\[]*?\bversion\s*=\s*"([^"]+)"""")
            .find(cargoToml)?.groupValues?.get(1)
        assertEquals(workspaceVersion, coreVersion())
    }

    @Test
    fun `validateNpub canonicalises npub, hex and nostr URI`() {
        assertEquals(NIP19_NPUB, validateNpub(NIP19_NPUB))
        assertEquals(NIP19_NPUB, validateNpub(NIP19_HEX))
        assertEquals(NIP19_NPUB, validateNpub("  nostr:$NIP19_NPUB\n"))
    }
}

class TypedErrorTest {
    @Test
    fun `empty input throws InvalidInput with field and rule`() {
        val e = assertFailsWith<ApiException.InvalidInput> { validateNpub("   ") }
        assertEquals("npub", e.field)
        assertEquals("is empty", e.rule)
        // Display is exported from Rust.
        assertEquals("npub: is empty", e.toString())
    }

    @Test
    fun `a secret key is refused without being echoed`() {
        val e = assertFailsWith<ApiException.InvalidInput> { validateNpub(NIP19_NSEC) }
        assertTrue(e.rule.contains("never share it"), e.rule)
        assertFalse(e.toString().contains(NIP19_NSEC))
    }

    @Test
    fun `malformed keys name the rule they broke`() {
        for (input in listOf("npub1", "hello", NIP19_HEX.dropLast(1), "0".repeat(62) + "05")) {
            val e = assertFailsWith<ApiException.InvalidInput>(input) { validateNpub(input) }
            assertEquals("npub", e.field)
            assertTrue(e.rule.startsWith("is not"), "$input -> ${e.rule}")
        }
        val long = assertFailsWith<ApiException.InvalidInput> { validateNpub("n".repeat(1000)) }
        assertEquals("is 1000 characters long; the limit is 200", long.rule)
    }

    @Test
    fun `errors are catchable as the sealed base type`() {
        val e: ApiException = assertFailsWith<ApiException> { validateNpub("") }
        val field = when (e) {
            is ApiException.InvalidInput -> e.field
            else -> "other"
        }
        assertEquals("npub", field)
    }
}

class AsyncAndForeignTraitTest {
    @Test
    fun `first call creates and stores a key, later calls load it`() = runBlocking {
        val store = MemoryStore()
        val first = loadOrCreateIdentity(store)
        assertTrue(first.created)
        assertEquals(first.npub, validateNpub(first.npub))
        assertEquals(first.npub, validateNpub(first.publicKeyHex))
        assertEquals(32, store.values[IDENTITY_KEY]?.size)

        val second = loadOrCreateIdentity(store)
        assertFalse(second.created)
        assertEquals(first, second.copy(created = true))
        assertEquals(1, store.puts.get())
    }

    @Test
    fun `concurrent first launches from Kotlin create one key`() = runBlocking {
        val store = MemoryStore()
        val results = (1..4).map { async(Dispatchers.Default) { loadOrCreateIdentity(store) } }.awaitAll()
        assertEquals(1, results.map { it.npub }.toSet().size)
        assertEquals(1, results.count { it.created })
        assertEquals(1, store.puts.get())
    }

    @Test
    fun `a typed exception thrown by the Kotlin store maps to a typed ApiException`() = runBlocking {
        val store = ThrowingStore(SecretStoreException.Unavailable("device locked"))
        val e = assertFailsWith<ApiException.SecretStoreUnavailable> { loadOrCreateIdentity(store) }
        assertEquals("get", e.operation)
        assertEquals("device locked", e.reason)
    }

    @Test
    fun `an unexpected exception thrown by the Kotlin store is caught, not a crash`() = runBlocking {
        val store = ThrowingStore(IllegalStateException("keystore exploded"))
        val e = assertFailsWith<ApiException.SecretStoreFailed> { loadOrCreateIdentity(store) }
        assertEquals("get", e.operation)
        assertTrue(e.reason.contains("keystore exploded"), e.reason)
    }

    @Test
    fun `a corrupt stored value is reported and left untouched`() = runBlocking {
        val store = MemoryStore()
        store.values[IDENTITY_KEY] = byteArrayOf(1, 2, 3, 4, 5)
        val e = assertFailsWith<ApiException.CorruptSecret> { loadOrCreateIdentity(store) }
        assertEquals(IDENTITY_KEY, e.key)
        assertEquals("expected 32 bytes, found 5", e.rule)
        assertContentEquals(byteArrayOf(1, 2, 3, 4, 5), store.values[IDENTITY_KEY])
        assertEquals(0, store.puts.get())
    }

    @Test
    fun `a store that loses writes is detected`() = runBlocking {
        val store = object : MemoryStore() {
            override fun put(key: String, value: ByteArray) { puts.incrementAndGet() }
        }
        val e = assertFailsWith<ApiException.SecretStoreFailed> { loadOrCreateIdentity(store) }
        assertEquals("verify", e.operation)
    }

    // The timeout only stops a hang if cancellation were broken; nothing asserts on time.
    @Test
    @Timeout(120)
    fun `cancelling a suspended call returns at once and stores nothing`() = runBlocking {
        val store = GateStore()
        var outcome: Throwable? = null
        val job = launch(Dispatchers.Default) {
            try {
                loadOrCreateIdentity(store)
            } catch (t: Throwable) {
                outcome = t
                throw t
            }
        }
        runInterruptible(Dispatchers.IO) { store.entered.await() } // Rust is now awaiting the store
        job.cancel()
        job.join() // completes while the Kotlin `get` is still blocked: the suspension was released
        assertTrue(job.isCancelled)
        assertTrue(outcome is CancellationException, "outcome: $outcome")
        assertEquals(1L, store.release.count, "the store call must still be blocked")

        store.release.countDown()
        runInterruptible(Dispatchers.IO) { store.returned.await() }
        store.gated = false
        // The abandoned call stored nothing: a fresh call still has to create the key.
        val fresh = loadOrCreateIdentity(store)
        assertTrue(fresh.created)
        assertEquals(1, store.puts.get())
        assertNotEquals("", fresh.npub)
    }
}
