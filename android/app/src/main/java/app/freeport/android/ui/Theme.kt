package app.freeport.android.ui

import android.os.Build
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.dynamicDarkColorScheme
import androidx.compose.material3.dynamicLightColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext

private val Light = lightColorScheme(
    primary = Color(0xFF0B5563),
    secondary = Color(0xFF5C6B73),
    tertiary = Color(0xFF8A6D00),
    error = Color(0xFFB3261E),
)

private val Dark = darkColorScheme(
    primary = Color(0xFF7FD1E0),
    secondary = Color(0xFFB7C7CF),
    tertiary = Color(0xFFF4D35E),
    error = Color(0xFFF2B8B5),
)

/**
 * Material 3 theme: follows the system dark setting, uses the wallpaper palette on Android 12+.
 * Text sizes are in sp throughout, so the user's font scale (large text) applies everywhere.
 */
@Composable
fun FreeportTheme(dark: Boolean = isSystemInDarkTheme(), content: @Composable () -> Unit) {
    val colors = when {
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.S -> {
            val ctx = LocalContext.current
            if (dark) dynamicDarkColorScheme(ctx) else dynamicLightColorScheme(ctx)
        }
        dark -> Dark
        else -> Light
    }
    MaterialTheme(colorScheme = colors, content = content)
}
