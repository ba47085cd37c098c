package app.freeport.android.ui

import androidx.compose.runtime.Composable
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.lifecycle.viewmodel.initializer
import androidx.lifecycle.viewmodel.viewModelFactory
import kotlinx.coroutines.CoroutineScope

/** Keeps one plain-Kotlin view model alive across configuration changes, in `viewModelScope`. */
class ScreenModelHolder<T : Any>(factory: (CoroutineScope) -> T) : ViewModel() {
    val model: T = factory(viewModelScope)
}

/**
 * The :presentation view model for this screen (one per [key] per navigation entry). State lives
 * in the core's store, so after process death the model simply loads again.
 */
@Composable
fun <T : Any> rememberScreenModel(key: String, factory: (CoroutineScope) -> T): T {
    val holder: ScreenModelHolder<T> = viewModel(
        key = key,
        factory = viewModelFactory { initializer { ScreenModelHolder(factory) } },
    )
    return holder.model
}
