package app.freeport.android.ui.screens

import android.content.ClipData
import android.content.ClipDescription
import android.os.Build
import android.os.PersistableBundle
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.text.selection.SelectionContainer
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.ClipEntry
import androidx.compose.ui.platform.LocalClipboard
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.R
import app.freeport.android.ui.ruleText
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.PassphraseField
import app.freeport.android.ui.rememberScreenModel
import app.freeport.presentation.Core
import app.freeport.presentation.OnboardingViewModel
import app.freeport.presentation.OnboardingViewModel.Step
import kotlinx.coroutines.launch

/** What the onboarding screen can ask for; the route forwards each to [OnboardingViewModel]. */
interface OnboardingActions {
    fun create() {}
    fun showRestore() {}
    fun restore(backup: String, passphrase: String) {}
    fun back() {}
    fun exportBackup(passphrase: String, again: String) {}
    /** Live feedback while typing: the core's passphrase rule. */
    fun checkPassphrase(passphrase: String, again: String) {}
    fun finishBackup() {}
}

/** Create / restore a key, then the backup prompt. [backupOnly] opens straight at the prompt (Settings). */
@Composable
fun OnboardingRoute(core: Core, backupOnly: Boolean, onDone: () -> Unit) {
    val vm = rememberScreenModel("onboarding-$backupOnly") { OnboardingViewModel(core, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { if (backupOnly) vm.showBackup() else vm.load() }
    LaunchedEffect(s.step) { if (s.step == Step.DONE) onDone() }
    val actions = remember(vm) {
        object : OnboardingActions {
            override fun create() { vm.create() }
            override fun showRestore() = vm.showRestore()
            override fun restore(backup: String, passphrase: String) { vm.restore(backup, passphrase) }
            override fun back() = vm.back()
            override fun exportBackup(passphrase: String, again: String) { vm.exportBackup(passphrase, again) }
            override fun checkPassphrase(passphrase: String, again: String) = vm.checkPassphrase(passphrase, again)
            override fun finishBackup() = vm.finishBackup()
        }
    }
    OnboardingScreen(s, actions)
}

@Composable
fun OnboardingScreen(s: OnboardingViewModel.State, vm: OnboardingActions) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        when (s.step) {
            Step.LOADING, Step.DONE -> CircularProgressIndicator()
            Step.WELCOME -> {
                Text(stringResource(R.string.onboarding_title), style = MaterialTheme.typography.headlineMedium,
                    modifier = Modifier.semantics { heading() })
                Text(stringResource(R.string.onboarding_body))
                BusyButton(stringResource(R.string.onboarding_create), s.busy, { vm.create() }, Modifier.fillMaxWidth())
                OutlinedButton(onClick = vm::showRestore, modifier = Modifier.fillMaxWidth()) {
                    Text(stringResource(R.string.onboarding_restore))
                }
            }
            Step.RESTORE -> {
                var backup by rememberSaveable { mutableStateOf("") }
                // Passphrases are never put in the saved-instance Bundle (remember, not
                // rememberSaveable): that Bundle is handed to the system and may be persisted.
                var pass by remember { mutableStateOf("") }
                Text(stringResource(R.string.restore_title), style = MaterialTheme.typography.headlineMedium,
                    modifier = Modifier.semantics { heading() })
                OutlinedTextField(backup, { backup = it }, label = { Text(stringResource(R.string.restore_backup_label)) },
                    // A bech32 string: no autocorrect or capitalisation, or the keyboard breaks it.
                    keyboardOptions = KeyboardOptions(autoCorrectEnabled = false, keyboardType = KeyboardType.Ascii),
                    modifier = Modifier.fillMaxWidth(), minLines = 3)
                PassphraseField(pass, { pass = it }, stringResource(R.string.restore_passphrase_label))
                BusyButton(stringResource(R.string.restore_action), s.busy, { vm.restore(backup, pass) }, Modifier.fillMaxWidth())
                TextButton(onClick = vm::back) { Text(stringResource(R.string.back)) }
            }
            Step.BACKUP -> {
                var pass by remember { mutableStateOf("") }
                var again by remember { mutableStateOf("") }
                val clipboard = LocalClipboard.current
                val scope = rememberCoroutineScope()
                val clipLabel = stringResource(R.string.backup_clip_label)
                Text(stringResource(R.string.backup_title), style = MaterialTheme.typography.headlineMedium,
                    modifier = Modifier.semantics { heading() })
                val backup = s.backup
                if (backup == null) {
                    Text(stringResource(R.string.backup_body))
                    // Live feedback is the core's passphrase rule, worded here.
                    PassphraseField(pass, { pass = it; vm.checkPassphrase(pass, again) }, stringResource(R.string.backup_passphrase_label))
                    s.passphraseViolations.filter { it.field == "passphrase" }.forEach { Text(ruleText(it.rule)) }
                    PassphraseField(again, { again = it; vm.checkPassphrase(pass, again) }, stringResource(R.string.backup_confirm_label))
                    if (again.isNotEmpty()) {
                        s.passphraseViolations.filter { it.field == "confirmation" }.forEach { Text(ruleText(it.rule)) }
                    }
                    BusyButton(stringResource(R.string.backup_action), s.busy, { vm.exportBackup(pass, again) }, Modifier.fillMaxWidth())
                    TextButton(onClick = vm::finishBackup) { Text(stringResource(R.string.backup_later)) }
                } else {
                    Text(stringResource(R.string.backup_result))
                    SelectionContainer { Text(backup, fontFamily = FontFamily.Monospace) }
                    var copied by remember { mutableStateOf(false) }
                    OutlinedButton(onClick = {
                        scope.launch {
                            clipboard.setClipEntry(ClipEntry(sensitiveClip(clipLabel, backup)))
                            copied = true
                        }
                    }) { Text(stringResource(R.string.copy)) }
                    if (copied) {
                        Text(stringResource(R.string.copied), modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
                    }
                    BusyButton(stringResource(R.string.done), false, vm::finishBackup, Modifier.fillMaxWidth())
                }
            }
        }
        ErrorBanner(s.error)
    }
}

/**
 * The backup as clipboard data flagged sensitive: Android 13+ then hides it from the clipboard
 * preview overlay and keyboard suggestions (it is encrypted, but still the whole identity).
 */
private fun sensitiveClip(label: String, text: String): ClipData =
    ClipData.newPlainText(label, text).apply {
        description.extras = PersistableBundle().apply {
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
                putBoolean(ClipDescription.EXTRA_IS_SENSITIVE, true)
            } else {
                putBoolean("android.content.extra.IS_SENSITIVE", true)
            }
        }
    }
