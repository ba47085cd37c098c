package app.freeport.core

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.delay

/** Key of the identity entry in the secret store (core/src/identity). */
const val IDENTITY_KEY = "freeport.identity.secret_key.v1"

/** Tanjong Pagar, Singapore. */
const val WHERE = "w21z74"

/** A Kotlin SecretStore over a map: the shape AndroidKeystoreSecretStore has. */
open class MemoryStore : SecretStore {
    val values = ConcurrentHashMap<String, ByteArray>()
    val sets = AtomicInteger()

    override fun get(key: String): ByteArray? = values[key]?.copyOf()

    override fun set(key: String, value: ByteArray) {
        sets.incrementAndGet()
        values[key] = value.copyOf()
    }

    override fun delete(key: String) {
        values.remove(key)
    }
}

/** Works like [MemoryStore] except that writing [key] throws [error] (a full or broken keystore). */
class FailingSetStore(private val key: String, private val error: Exception) : MemoryStore() {
    override fun set(key: String, value: ByteArray) = if (key == this.key) throw error else super.set(key, value)
}

/** A store whose every call throws [error]. */
class ThrowingStore(private val error: Exception) : SecretStore {
    override fun get(key: String): ByteArray? = throw error
    override fun set(key: String, value: ByteArray) = throw error
    override fun delete(key: String) = throw error
}

/** Collects every live update it receives. */
class Recorder : AppListener {
    val events = ConcurrentLinkedQueue<AppEventRecord>()
    override fun onEvent(event: AppEventRecord) {
        events.add(event)
    }
}

fun tempDir(prefix: String): Path = Files.createTempDirectory("freeport-kt-$prefix")

/** A phone: its own data dir and Kotlin secret store, talking to [relays]. */
fun phone(name: String, relays: List<String>, store: SecretStore = MemoryStore()): FreeportApp {
    // Index relays off: a test never contacts the shipped public relays.
    val config = defaultConfig(tempDir(name).toString())
        .copy(relays = relays, indexRelays = emptyList(), defaultRegion = "SG")
    return FreeportApp(config, store)
}

/**
 * Re-runs [probe] until it returns non-null (relays deliver asynchronously), at most [attempts]
 * times with [pauseMs] between tries; fails with [what] if it never does.
 */
suspend fun <T : Any> eventually(what: String, attempts: Int = 100, pauseMs: Long = 100, probe: suspend () -> T?): T {
    repeat(attempts) {
        probe()?.let { return it }
        delay(pauseMs)
    }
    throw AssertionError("never happened: $what")
}

/** The goods/1 payload Alice posts, and the same terms with another price and a note. */
/** The goods form filled in for a city bike near [WHERE] (the core builds the payload). */
fun bikeEntries(price: Int, notes: String? = null): List<FormEntry> = listOfNotNull(
    FormEntry("/item", EntryValue.Text("city bike")),
    FormEntry("/condition", EntryValue.Text("good")),
    FormEntry("/price", EntryValue.Text("$price")),
    FormEntry("/currency", EntryValue.Text("SGD")),
    FormEntry("/location", EntryValue.Place("Tanjong Pagar MRT", WHERE)),
    notes?.let { FormEntry("/notes", EntryValue.Text(it)) },
)

/** The field of the first violation of an [FreeportException.InvalidInput]. */
val FreeportException.InvalidInput.field: String get() = violations.first().field

/** The rules broken on [field]. */
fun FreeportException.InvalidInput.rulesOn(field: String): List<Rule> =
    violations.filter { it.field == field }.map { it.rule }


val PNG_MAGIC = byteArrayOf(0x89.toByte(), 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A)
