package app.freeport.android

import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import android.security.keystore.UserNotAuthenticatedException
import app.freeport.core.SecretStore
import app.freeport.core.SecretStoreException
import java.io.File
import java.io.FileOutputStream
import java.io.IOException
import java.security.GeneralSecurityException
import java.security.KeyStore
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The core's [SecretStore] on Android: each value is encrypted with AES-256-GCM under one
 * non-exportable AndroidKeyStore key (StrongBox when the phone has it) and written to its own file
 * in app-private, never-backed-up storage ([dir], under `noBackupFilesDir`).
 *
 * File format: `version (1) ‖ iv (12) ‖ ciphertext+tag`, with the entry name as associated data,
 * so a file renamed or copied onto another entry fails authentication and reads as `Corrupt`
 * instead of yielding the wrong secret. No EncryptedSharedPreferences (deprecated).
 *
 * Entry names are `[A-Za-z0-9._-]{1,128}` (the core's rule), so they are used as file names as is.
 * Calls may block on the Keystore; the core calls them off the main thread.
 */
class AndroidKeystoreSecretStore(
    private val dir: File,
    private val alias: String = DEFAULT_ALIAS,
) : SecretStore {
    private val lock = Any()

    private val keyStore: KeyStore by lazy {
        try {
            KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        } catch (e: GeneralSecurityException) {
            throw SecretStoreException.Unavailable("AndroidKeyStore: ${e.javaClass.simpleName}")
        } catch (e: IOException) {
            throw SecretStoreException.Unavailable("AndroidKeyStore: ${e.javaClass.simpleName}")
        }
    }

    override fun get(key: String): ByteArray? = synchronized(lock) {
        checkName(key)
        val file = fileFor(key)
        if (!file.exists()) return null
        val blob = try {
            file.readBytes()
        } catch (e: IOException) {
            throw SecretStoreException.Backend("cannot read entry: ${e.javaClass.simpleName}")
        }
        if (blob.size < HEADER + TAG_BYTES || blob[0] != VERSION) {
            throw SecretStoreException.Corrupt("entry `$key` has an unknown format (${blob.size} bytes)")
        }
        val secretKey = existingKey()
            ?: throw SecretStoreException.Corrupt("entry `$key` exists but its Keystore key is gone (app data restored onto another phone?)")
        try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, secretKey, GCMParameterSpec(TAG_BYTES * 8, blob, 1, IV_BYTES))
            cipher.updateAAD(key.toByteArray(Charsets.US_ASCII))
            return cipher.doFinal(blob, HEADER, blob.size - HEADER)
        } catch (e: AEADBadTagException) {
            throw SecretStoreException.Corrupt("entry `$key` failed authentication")
        } catch (e: KeyPermanentlyInvalidatedException) {
            throw SecretStoreException.Corrupt("the Keystore key was invalidated")
        } catch (e: UserNotAuthenticatedException) {
            throw SecretStoreException.Locked("unlock the phone first")
        } catch (e: GeneralSecurityException) {
            throw SecretStoreException.Backend("decrypt failed: ${e.javaClass.simpleName}")
        }
    }

    override fun set(key: String, value: ByteArray) = synchronized(lock) {
        checkName(key)
        if (value.size > MAX_VALUE) {
            throw SecretStoreException.InvalidEntry(key, "value is ${value.size} bytes; the limit is $MAX_VALUE")
        }
        val blob = try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            // The Keystore picks a fresh random IV (randomized encryption is required).
            cipher.init(Cipher.ENCRYPT_MODE, keyForWriting())
            cipher.updateAAD(key.toByteArray(Charsets.US_ASCII))
            val ct = cipher.doFinal(value)
            val iv = cipher.iv
            check(iv.size == IV_BYTES) { "unexpected IV length ${iv.size}" }
            byteArrayOf(VERSION) + iv + ct
        } catch (e: UserNotAuthenticatedException) {
            throw SecretStoreException.Locked("unlock the phone first")
        } catch (e: GeneralSecurityException) {
            throw SecretStoreException.Backend("encrypt failed: ${e.javaClass.simpleName}")
        }
        writeAtomically(fileFor(key), blob)
    }

    override fun delete(key: String) = synchronized(lock) {
        checkName(key)
        val f = fileFor(key)
        if (f.exists() && !f.delete()) throw SecretStoreException.Backend("cannot delete entry `$key`")
    }

    /** Deletes every entry and the Keystore key itself (Settings → erase). */
    fun wipeAll() = synchronized(lock) {
        dir.listFiles()?.forEach { it.delete() }
        try {
            if (keyStore.containsAlias(alias)) keyStore.deleteEntry(alias)
        } catch (e: GeneralSecurityException) {
            throw SecretStoreException.Backend("cannot delete the Keystore key: ${e.javaClass.simpleName}")
        }
    }

    private fun fileFor(key: String) = File(dir, "$key$SUFFIX")

    private fun checkName(key: String) {
        if (key.isEmpty() || key.length > MAX_NAME || !key.all { it.isLetterOrDigit() && it.code < 128 || it in "._-" }) {
            throw SecretStoreException.InvalidEntry(key.take(40), "name must be 1..$MAX_NAME characters of [A-Za-z0-9._-]")
        }
    }

    private fun existingKey(): SecretKey? = try {
        (keyStore.getEntry(alias, null) as? KeyStore.SecretKeyEntry)?.secretKey
    } catch (e: GeneralSecurityException) {
        throw SecretStoreException.Backend("Keystore lookup failed: ${e.javaClass.simpleName}")
    }

    private fun keyForWriting(): SecretKey = existingKey() ?: generateKey()

    private fun generateKey(): SecretKey {
        fun spec(strongBox: Boolean) = KeyGenParameterSpec.Builder(
            alias,
            KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT,
        )
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true)
            .apply { if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setIsStrongBoxBacked(strongBox) }
            .build()

        val gen = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        return try {
            gen.init(spec(strongBox = Build.VERSION.SDK_INT >= Build.VERSION_CODES.P))
            gen.generateKey()
        } catch (e: StrongBoxUnavailableException) {
            gen.init(spec(strongBox = false))
            gen.generateKey()
        }
    }

    private fun writeAtomically(target: File, bytes: ByteArray) {
        try {
            if (!dir.exists() && !dir.mkdirs()) throw IOException("cannot create ${dir.name}")
            val tmp = File(dir, target.name + ".tmp")
            FileOutputStream(tmp).use { out ->
                out.write(bytes)
                out.fd.sync()
            }
            if (!tmp.renameTo(target)) throw IOException("rename failed")
        } catch (e: IOException) {
            throw SecretStoreException.Backend("cannot write entry: ${e.message}")
        }
    }

    companion object {
        const val DEFAULT_ALIAS = "freeport.secrets.v1"
        private const val ANDROID_KEYSTORE = "AndroidKeyStore"
        private const val TRANSFORMATION = "AES/GCM/NoPadding"
        private const val VERSION: Byte = 1
        private const val IV_BYTES = 12
        private const val TAG_BYTES = 16
        private const val HEADER = 1 + IV_BYTES
        private const val SUFFIX = ".sec"
        /** Same limits as the core's MAX_SECRET_KEY_NAME / MAX_SECRET_VALUE. */
        private const val MAX_NAME = 128
        private const val MAX_VALUE = 4096
    }
}
