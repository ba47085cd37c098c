package app.freeport.presentation

import app.freeport.core.SecretStoreException
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.io.File
import java.nio.file.Files
import java.security.GeneralSecurityException
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The on-disk format and failure paths of the store the Android Keystore key wraps. */
class SealedFileSecretStoreTest {
    /** An AES-256 key in memory, standing where the AndroidKeyStore key stands on a phone. */
    private class MemoryKey : WrappingKey {
        var key: SecretKey? = null
        override fun get(create: Boolean): SecretKey? {
            if (key == null && create) key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
            return key
        }
        override fun destroy() { key = null }
    }

    private val dir: File = Files.createTempDirectory("sealed").toFile()
    private val key = MemoryKey()
    private val store = SealedFileSecretStore(dir, key)
    private val secret = "nsec-like secret value".toByteArray()

    @Test
    fun `round trip, absent entries, delete, and nothing readable on disk`() {
        assertNull(store.get("freeport.identity"))
        store.set("freeport.identity", secret)
        assertContentEquals(secret, store.get("freeport.identity"))
        val file = File(dir, "freeport.identity.sec")
        val raw = file.readBytes()
        assertEquals(1 + 12 + secret.size + 16, raw.size)
        assertFalse(String(raw, Charsets.ISO_8859_1).contains("secret value"), "value must be sealed")
        assertTrue(dir.listFiles()!!.none { it.name.endsWith(".tmp") }, "no temp files left behind")

        // Overwrite, fresh IV each time.
        store.set("freeport.identity", secret)
        assertFalse(raw.copyOfRange(1, 13).contentEquals(file.readBytes().copyOfRange(1, 13)), "IV reused")
        store.delete("freeport.identity")
        store.delete("freeport.identity")
        assertNull(store.get("freeport.identity"))
    }

    @Test
    fun `a file moved onto another entry, a flipped bit or a truncated file read as Corrupt`() {
        store.set("a", "A".toByteArray())
        store.set("b", "B".toByteArray())
        File(dir, "a.sec").copyTo(File(dir, "b.sec"), overwrite = true)
        assertThrows<SecretStoreException.Corrupt> { store.get("b") }

        val a = File(dir, "a.sec")
        val bytes = a.readBytes()
        bytes[bytes.size - 1] = (bytes[bytes.size - 1].toInt() xor 1).toByte()
        a.writeBytes(bytes)
        assertThrows<SecretStoreException.Corrupt> { store.get("a") }

        a.writeBytes(bytes.copyOf(20))
        assertThrows<SecretStoreException.Corrupt> { store.get("a") }
        a.writeBytes(byteArrayOf(9) + bytes.copyOfRange(1, bytes.size))
        assertThrows<SecretStoreException.Corrupt> { store.get("a") }
    }

    @Test
    fun `entries survive a lost key only as Corrupt, never as plaintext or garbage`() {
        store.set("k", secret)
        key.destroy()
        assertThrows<SecretStoreException.Corrupt> { store.get("k") }
        key.get(create = true)
        assertThrows<SecretStoreException.Corrupt> { store.get("k") }
    }

    @Test
    fun `names and sizes outside the core's limits are refused`() {
        for (bad in listOf("", "../escape", "a/b", "é", "x".repeat(129), "sp ace")) {
            assertThrows<SecretStoreException.InvalidEntry>(bad) { store.set(bad, secret) }
            assertThrows<SecretStoreException.InvalidEntry>(bad) { store.get(bad) }
        }
        store.set("x".repeat(128), secret)
        assertThrows<SecretStoreException.InvalidEntry> { store.set("big", ByteArray(4097)) }
        store.set("big", ByteArray(4096))
        assertEquals(4096, store.get("big")!!.size)
    }

    @Test
    fun `platform crypto failures are classified by the key source`() {
        val locked = object : WrappingKey {
            override fun get(create: Boolean): SecretKey? = throw java.security.InvalidKeyException("locked")
            override fun destroy() = Unit
            override fun classify(e: GeneralSecurityException, entry: String) = SecretStoreException.Locked("unlock first")
        }
        store.set("k", secret)
        val s = SealedFileSecretStore(dir, locked)
        // The key source throws as a locked Keystore does; the store reports the platform's meaning.
        assertEquals("unlock first", assertThrows<SecretStoreException.Locked> { s.set("k", secret) }.reason)
        assertThrows<SecretStoreException.Locked> { s.get("k") }

        // The Android Keystore reports many failures unchecked (ProviderException, e.g. a
        // StrongBox or TEE error): still a typed error for the core, and nothing is written.
        val broken = object : WrappingKey {
            override fun get(create: Boolean): SecretKey? = throw java.security.ProviderException("keystore died")
            override fun destroy() = Unit
        }
        val b = SealedFileSecretStore(dir, broken)
        val before = File(dir, "k.sec").readBytes()
        assertThrows<SecretStoreException.Backend> { b.set("k", "other".toByteArray()) }
        assertThrows<SecretStoreException.Backend> { b.get("k") }
        assertContentEquals(before, File(dir, "k.sec").readBytes(), "a failed write leaves the old entry intact")
    }

    @Test
    fun `the real core keeps its identity across restarts in this store, and erase removes it`() = runBlocking<Unit> {
        val data = Files.createTempDirectory("sealed-core").toFile()
        val first = Phone(relayUrl = null, dir = data, secretStore = store)
        val id = first.core.createIdentity()
        first.close()
        assertTrue(dir.listFiles()!!.isNotEmpty())

        Phone(relayUrl = null, dir = data, secretStore = SealedFileSecretStore(dir, key)).use { again ->
            assertEquals(id, again.core.identity())
        }
        store.wipeAll()
        assertTrue(dir.listFiles()!!.isEmpty())
        assertNull(key.key)
        Phone(relayUrl = null, dir = Files.createTempDirectory("sealed-core2").toFile(), secretStore = store).use { fresh ->
            assertFalse(fresh.core.hasIdentity())
        }
    }
}
