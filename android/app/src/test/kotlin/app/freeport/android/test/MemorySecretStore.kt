package app.freeport.android.test

import app.freeport.core.SecretStore
import app.freeport.core.SecretStoreException

/** The core's `SecretStore` foreign trait held in memory (the Keystore one needs a device). */
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
}
