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

// Freeport's own palette (teal), a full Material 3 tonal set so no role falls back to the
// baseline purple. Used below Android 12 and wherever dynamic colour is off; every text/background
// pair meets 4.5:1 (checked from the rendered screens by ScreenshotTest).
private val Light = lightColorScheme(
    primary = Color(0xFF0B5563), onPrimary = Color(0xFFFFFFFF),
    primaryContainer = Color(0xFFB4EBF7), onPrimaryContainer = Color(0xFF001F26),
    inversePrimary = Color(0xFF84D2E3),
    secondary = Color(0xFF4B6269), onSecondary = Color(0xFFFFFFFF),
    secondaryContainer = Color(0xFFCEE7EF), onSecondaryContainer = Color(0xFF061F25),
    tertiary = Color(0xFF6D5E0F), onTertiary = Color(0xFFFFFFFF),
    tertiaryContainer = Color(0xFFF8E288), onTertiaryContainer = Color(0xFF221B00),
    error = Color(0xFFB3261E), onError = Color(0xFFFFFFFF),
    errorContainer = Color(0xFFF9DEDC), onErrorContainer = Color(0xFF410E0B),
    background = Color(0xFFF5FAFC), onBackground = Color(0xFF171D1E),
    surface = Color(0xFFF5FAFC), onSurface = Color(0xFF171D1E),
    surfaceVariant = Color(0xFFDBE4E6), onSurfaceVariant = Color(0xFF3F484A),
    surfaceTint = Color(0xFF0B5563),
    inverseSurface = Color(0xFF2B3133), inverseOnSurface = Color(0xFFECF2F3),
    outline = Color(0xFF6F797A), outlineVariant = Color(0xFFBFC8CA),
    surfaceBright = Color(0xFFF5FAFC), surfaceDim = Color(0xFFD5DBDC),
    surfaceContainerLowest = Color(0xFFFFFFFF), surfaceContainerLow = Color(0xFFEFF5F6),
    surfaceContainer = Color(0xFFE9EFF0), surfaceContainerHigh = Color(0xFFE3E9EA),
    surfaceContainerHighest = Color(0xFFDEE3E5),
)

private val Dark = darkColorScheme(
    primary = Color(0xFF84D2E3), onPrimary = Color(0xFF00363F),
    primaryContainer = Color(0xFF004E5A), onPrimaryContainer = Color(0xFFA8EEFF),
    inversePrimary = Color(0xFF006877),
    secondary = Color(0xFFB2CBD2), onSecondary = Color(0xFF1D343A),
    secondaryContainer = Color(0xFF344A51), onSecondaryContainer = Color(0xFFCEE7EF),
    tertiary = Color(0xFFDBC66E), onTertiary = Color(0xFF3A3000),
    tertiaryContainer = Color(0xFF534600), onTertiaryContainer = Color(0xFFF8E288),
    error = Color(0xFFFFB4AB), onError = Color(0xFF690005),
    errorContainer = Color(0xFF93000A), onErrorContainer = Color(0xFFFFDAD6),
    background = Color(0xFF0F1416), onBackground = Color(0xFFDEE3E5),
    surface = Color(0xFF0F1416), onSurface = Color(0xFFDEE3E5),
    surfaceVariant = Color(0xFF3F484A), onSurfaceVariant = Color(0xFFBFC8CA),
    surfaceTint = Color(0xFF84D2E3),
    inverseSurface = Color(0xFFDEE3E5), inverseOnSurface = Color(0xFF2B3133),
    outline = Color(0xFF899294), outlineVariant = Color(0xFF3F484A),
    surfaceBright = Color(0xFF343A3C), surfaceDim = Color(0xFF0F1416),
    surfaceContainerLowest = Color(0xFF0A0F10), surfaceContainerLow = Color(0xFF171D1E),
    surfaceContainer = Color(0xFF1B2122), surfaceContainerHigh = Color(0xFF252B2C),
    surfaceContainerHighest = Color(0xFF303637),
)

/**
 * Material 3 theme: follows the system dark setting, uses the wallpaper palette on Android 12+.
 * Text sizes are in sp throughout, so the user's font scale (large text) applies everywhere.
 */
@Composable
fun FreeportTheme(
    dark: Boolean = isSystemInDarkTheme(),
    dynamicColor: Boolean = true,
    content: @Composable () -> Unit,
) {
    val colors = when {
        dynamicColor && Build.VERSION.SDK_INT >= Build.VERSION_CODES.S -> {
            val ctx = LocalContext.current
            if (dark) dynamicDarkColorScheme(ctx) else dynamicLightColorScheme(ctx)
        }
        dark -> Dark
        else -> Light
    }
    MaterialTheme(colorScheme = colors, content = content)
}
