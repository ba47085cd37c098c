package app.freeport.presentation

import app.freeport.core.EmbeddedRelayHandle
import app.freeport.core.FreeportApp
import app.freeport.core.ProfileInput
import app.freeport.core.SecretStore
import app.freeport.core.SecretStoreException
import app.freeport.core.defaultConfig
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.withTimeout
import java.io.File
import java.nio.file.Files

/**
 * The platform secret store for JVM tests: the core's own `SecretStore` foreign trait,
 * implemented in Kotlin like the Android Keystore one, held in memory.
 */
class MemorySecretStore : SecretStore {
    private val entries = HashMap<String, ByteArray>()

    @Synchronized
    override fun get(key: String): ByteArray? = entries[key]?.copyOf()

    @Synchronized
    override fun set(key: String, value: ByteArray) {
        if (key.isEmpty()) throw SecretStoreException.InvalidEntry(key, "name is empty")
        entries[key] = value.copyOf()
    }

    @Synchronized
    override fun delete(key: String) {
        entries.remove(key)
    }

    @Synchronized
    fun clear() = entries.clear()

    @Synchronized
    fun size() = entries.size
}

/**
 * One phone: a data directory, a secret store, the real core over [relayUrl], and a scope for
 * its view models. Proof of work is off (tests measure behaviour, not cost).
 */
class Phone(
    relayUrl: String?,
    val dir: File = Files.createTempDirectory("freeport-phone").toFile(),
    val secrets: MemorySecretStore = MemorySecretStore(),
    secretStore: SecretStore = secrets,
) : AutoCloseable {
    val app: FreeportApp = FreeportApp(
        defaultConfig(dir.path).copy(
            // No relay: one on this machine nothing listens on (the shipped public relays are
            // never contacted by a test).
            relays = listOf(relayUrl ?: UNREACHABLE_RELAY),
            indexRelays = emptyList(),
            intentPowBits = 0u,
            ratingPowBits = 0u,
        ),
        secretStore,
    )
    val core: Core = FfiCore(app, Dispatchers.IO)
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    /** Creates an identity and connects (what onboarding + app start do). */
    suspend fun onboard(name: String): Phone {
        core.createIdentity()
        core.startNetwork()
        app.waitConnected(10_000u)
        core.setProfile(
            ProfileInput(name, null, null, false, null, null, null),
        )
        return this
    }

    override fun close() {
        scope.cancel()
        app.close()
    }
}

/** Waits (bounded, so a bug fails instead of hanging) until [state] satisfies [predicate]. */
suspend fun <T> StateFlow<T>.await(what: String, timeoutMs: Long = 30_000, predicate: (T) -> Boolean): T = try {
    withTimeout(timeoutMs) { first(predicate) }
} catch (e: kotlinx.coroutines.TimeoutCancellationException) {
    throw AssertionError("never reached: $what; last state: $value", e)
}

/** One embedded relay for a test class; started lazily, shared by its phones. */
object Relay {
    val handle: EmbeddedRelayHandle by lazy { kotlinx.coroutines.runBlocking { EmbeddedRelayHandle.start() } }
    val url: String get() = handle.url()
}

/** A loopback relay address nothing listens on. */
const val UNREACHABLE_RELAY = "ws://127.0.0.1:1"
