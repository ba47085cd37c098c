package app.freeport.android

import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.UserNotAuthenticatedException
import app.freeport.core.SecretStoreException
import app.freeport.presentation.SealedFileSecretStore
import app.freeport.presentation.WrappingKey
import java.io.File
import java.io.IOException
import java.security.GeneralSecurityException
import java.security.KeyStore
import java.security.ProviderException
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

/**
 * The core's `SecretStore` on Android: [SealedFileSecretStore] (one AES-256-GCM sealed file per
 * entry, entry name as associated data, atomic writes — tested on the JVM) with its wrapping key
 * held by [KeystoreWrappingKey], a non-exportable AndroidKeyStore key. Files live in [dir], under
 * `noBackupFilesDir`, which the platform never backs up. No EncryptedSharedPreferences.
 */
class AndroidKeystoreSecretStore(dir: File, alias: String = KeystoreWrappingKey.DEFAULT_ALIAS) :
    SealedFileSecretStore(dir, KeystoreWrappingKey(alias))

/** A non-exportable AES-256-GCM key in AndroidKeyStore (StrongBox when the phone has one). */
class KeystoreWrappingKey(private val alias: String) : WrappingKey {
    private val keyStore: KeyStore by lazy {
        try {
            KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        } catch (e: GeneralSecurityException) {
            throw SecretStoreException.Unavailable("AndroidKeyStore: ${e.javaClass.simpleName}")
        } catch (e: IOException) {
            throw SecretStoreException.Unavailable("AndroidKeyStore: ${e.javaClass.simpleName}")
        }
    }

    @Synchronized
    override fun get(create: Boolean): SecretKey? {
        val existing = try {
            keyStore.getKey(alias, null) as? SecretKey
        } catch (e: GeneralSecurityException) {
            throw SecretStoreException.Backend("Keystore lookup failed: ${e.javaClass.simpleName}")
        } catch (e: ProviderException) {
            throw SecretStoreException.Backend("Keystore lookup failed: ${e.javaClass.simpleName}")
        }
        return existing ?: if (create) generate() else null
    }

    @Synchronized
    override fun destroy() {
        try {
            if (keyStore.containsAlias(alias)) keyStore.deleteEntry(alias)
        } catch (e: GeneralSecurityException) {
            throw SecretStoreException.Backend("cannot delete the Keystore key: ${e.javaClass.simpleName}")
        }
    }

    override fun classify(e: GeneralSecurityException, entry: String): SecretStoreException = when (e) {
        is UserNotAuthenticatedException -> SecretStoreException.Locked("unlock the phone first")
        is KeyPermanentlyInvalidatedException -> SecretStoreException.Corrupt("the Keystore key was invalidated")
        else -> SecretStoreException.Backend("Keystore operation on `$entry` failed: ${e.javaClass.simpleName}")
    }

    private fun generate(): SecretKey {
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

        fun make(strongBox: Boolean): SecretKey {
            val gen = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
            gen.init(spec(strongBox))
            return gen.generateKey()
        }

        return try {
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
                try {
                    make(strongBox = true)
                } catch (e: ProviderException) {
                    // No StrongBox (StrongBoxUnavailableException, a ProviderException subclass
                    // not referenced directly so API 26-27 never resolve it): the TEE instead.
                    make(strongBox = false)
                }
            } else {
                make(strongBox = false)
            }
        } catch (e: GeneralSecurityException) {
            throw SecretStoreException.Backend("cannot create the Keystore key: ${e.javaClass.simpleName}")
        } catch (e: ProviderException) { // the Keystore's own failures are unchecked
            throw SecretStoreException.Backend("cannot create the Keystore key: ${e.javaClass.simpleName}")
        }
    }

    companion object {
        const val DEFAULT_ALIAS = "freeport.secrets.v1"
        private const val ANDROID_KEYSTORE = "AndroidKeyStore"
    }
}
