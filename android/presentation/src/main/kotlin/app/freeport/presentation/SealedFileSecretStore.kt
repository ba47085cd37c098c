package app.freeport.presentation

import app.freeport.core.SecretStore
import app.freeport.core.SecretStoreException
import java.io.File
import java.io.FileOutputStream
import java.io.IOException
import java.security.GeneralSecurityException
import java.security.ProviderException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Where the wrapping key of a [SealedFileSecretStore] lives. On Android: a non-exportable
 * AndroidKeyStore key (`app/.../AndroidKeystoreSecretStore.kt`); in JVM tests: a key in memory.
 */
interface WrappingKey {
    /** The AES-256-GCM key, or null if none exists yet (and [create] is false). */
    fun get(create: Boolean): SecretKey?

    /** Deletes the key (erase). */
    fun destroy()

    /** Platform-specific meaning of a crypto failure (e.g. "unlock the phone first"). */
    fun classify(e: GeneralSecurityException, entry: String): SecretStoreException =
        SecretStoreException.Backend("crypto failed for `$entry`: ${e.javaClass.simpleName}")
}

/**
 * The core's [SecretStore] as one sealed file per entry: AES-256-GCM under a [WrappingKey],
 * file = `version (1) ‖ iv (12) ‖ ciphertext+tag (16)`, entry name as associated data — a file
 * renamed or copied onto another entry fails authentication and reads as `Corrupt`, never as the
 * wrong secret. Writes are atomic (temp file, fsync, rename). Plain JVM code, so the format and
 * every failure path are tested on the host; Android supplies the Keystore key.
 */
open class SealedFileSecretStore(private val dir: File, private val key: WrappingKey) : SecretStore {
    private val lock = Any()

    override fun get(key: String): ByteArray? = synchronized(lock) {
        checkName(key)
        val file = fileFor(key)
        if (!file.exists()) return null
        val blob = try {
            file.readBytes()
        } catch (e: IOException) {
            throw SecretStoreException.Backend("cannot read entry `$key`: ${e.javaClass.simpleName}")
        }
        if (blob.size < HEADER + TAG_BYTES || blob[0] != VERSION) {
            throw SecretStoreException.Corrupt("entry `$key` has an unknown format (${blob.size} bytes)")
        }
        try {
            val wrapping = this.key.get(create = false)
                ?: throw SecretStoreException.Corrupt("entry `$key` exists but its wrapping key is gone")
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, wrapping, GCMParameterSpec(TAG_BYTES * 8, blob, 1, IV_BYTES))
            cipher.updateAAD(key.toByteArray(Charsets.US_ASCII))
            return cipher.doFinal(blob, HEADER, blob.size - HEADER)
        } catch (e: AEADBadTagException) {
            throw SecretStoreException.Corrupt("entry `$key` failed authentication")
        } catch (e: GeneralSecurityException) {
            throw this.key.classify(e, key)
        } catch (e: ProviderException) {
            // Keystore failures surface unchecked (ProviderException): a typed error, not a crash.
            throw SecretStoreException.Backend("crypto provider failed for `$key`: ${e.javaClass.simpleName}")
        }
    }

    override fun set(key: String, value: ByteArray): Unit = synchronized(lock) {
        checkName(key)
        if (value.size > MAX_VALUE) {
            throw SecretStoreException.InvalidEntry(key, "value is ${value.size} bytes; the limit is $MAX_VALUE")
        }
        val blob = try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            // The provider picks a fresh random IV (the Keystore insists on it).
            cipher.init(Cipher.ENCRYPT_MODE, this.key.get(create = true))
            cipher.updateAAD(key.toByteArray(Charsets.US_ASCII))
            val ct = cipher.doFinal(value)
            val iv = cipher.iv
            if (iv == null || iv.size != IV_BYTES) throw SecretStoreException.Backend("unexpected IV length ${iv?.size}")
            byteArrayOf(VERSION) + iv + ct
        } catch (e: GeneralSecurityException) {
            throw this.key.classify(e, key)
        } catch (e: ProviderException) {
            throw SecretStoreException.Backend("crypto provider failed for `$key`: ${e.javaClass.simpleName}")
        }
        writeAtomically(fileFor(key), blob)
    }

    override fun delete(key: String): Unit = synchronized(lock) {
        checkName(key)
        val f = fileFor(key)
        if (f.exists() && !f.delete()) throw SecretStoreException.Backend("cannot delete entry `$key`")
    }

    /** Deletes every entry and the wrapping key (Settings → erase). */
    fun wipeAll(): Unit = synchronized(lock) {
        dir.listFiles()?.forEach { it.delete() }
        key.destroy()
    }

    private fun fileFor(key: String) = File(dir, "$key$SUFFIX")

    private fun checkName(key: String) {
        val ok = key.length in 1..MAX_NAME &&
            key.all { it in 'a'..'z' || it in 'A'..'Z' || it in '0'..'9' || it in "._-" }
        if (!ok) {
            throw SecretStoreException.InvalidEntry(key.take(40), "name must be 1..$MAX_NAME characters of [A-Za-z0-9._-]")
        }
    }

    private fun writeAtomically(target: File, bytes: ByteArray) {
        try {
            if (!dir.exists() && !dir.mkdirs()) throw IOException("cannot create the store directory")
            val tmp = File(dir, target.name + ".tmp")
            FileOutputStream(tmp).use { out ->
                out.write(bytes)
                out.fd.sync()
            }
            if (!tmp.renameTo(target)) {
                tmp.delete()
                throw IOException("rename failed")
            }
        } catch (e: IOException) {
            throw SecretStoreException.Backend("cannot write entry: ${e.message}")
        }
    }

    companion object {
        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private const val VERSION: Byte = 1
        private const val IV_BYTES = 12
        private const val TAG_BYTES = 16
        private const val HEADER = 1 + IV_BYTES
        private const val SUFFIX = ".sec"

        /** Same limits as the core's MAX_SECRET_KEY_NAME / MAX_SECRET_VALUE. */
        const val MAX_NAME = 128
        const val MAX_VALUE = 4096
    }
}
