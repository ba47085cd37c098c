package app.freeport.android.ui

import android.annotation.SuppressLint
import android.content.Context
import android.location.Location
import android.location.LocationManager
import android.os.Build
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlin.coroutines.resume

/**
 * One coarse position from the platform's network/passive providers (no Play Services). The
 * caller holds ACCESS_COARSE_LOCATION; null when no fix is available.
 */
@SuppressLint("MissingPermission")
suspend fun coarseLocation(context: Context): Location? {
    val lm = context.getSystemService(LocationManager::class.java) ?: return null
    val provider = listOf(LocationManager.NETWORK_PROVIDER, LocationManager.PASSIVE_PROVIDER)
        .firstOrNull { runCatching { lm.isProviderEnabled(it) }.getOrDefault(false) }
        ?: return null
    if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
        return suspendCancellableCoroutine { cont ->
            val signal = android.os.CancellationSignal()
            cont.invokeOnCancellation { signal.cancel() }
            lm.getCurrentLocation(provider, signal, context.mainExecutor) { loc ->
                cont.resume(loc ?: runCatching { lm.getLastKnownLocation(provider) }.getOrNull())
            }
        }
    }
    return runCatching { lm.getLastKnownLocation(provider) }.getOrNull()
}
