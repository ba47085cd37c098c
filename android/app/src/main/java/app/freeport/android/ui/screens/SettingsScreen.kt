package app.freeport.android.ui.screens

import android.content.Intent
import android.net.Uri
import android.os.Build
import android.provider.Settings
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.Role
import androidx.compose.material3.Switch
import androidx.compose.material3.HorizontalDivider
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.ScrollState
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.ui.shortKey
import app.freeport.android.ui.ltr
import app.freeport.android.FreeportApplication
import app.freeport.android.R
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.findActivity
import app.freeport.android.ui.relayRuleText
import app.freeport.android.ui.rememberScreenModel
import app.freeport.core.NoticeChannel
import app.freeport.core.RelayListRole
import app.freeport.core.RelayUrlRule
import app.freeport.presentation.Core
import app.freeport.presentation.SettingsViewModel
import kotlinx.coroutines.delay
import kotlin.system.exitProcess

/** What the settings screen can ask for; the route forwards each to [SettingsViewModel]. */
interface SettingsActions {
    fun setDraft(role: RelayListRole, text: String) {}
    fun addRelay(role: RelayListRole) {}
    fun removeRelay(role: RelayListRole, url: String) {}
    fun resetRelays() {}
    fun setRequireNip17(on: Boolean) {}
    fun unblock(pubkey: String) {}
    fun setNotices(channel: NoticeChannel, on: Boolean) {}
    fun backup() {}
    /** Android 13+: the system's per-app language screen for Freeport. */
    fun chooseLanguage() {}
    fun wipe() {}
    fun cancelWipe() {}
    fun contacts() {}
}

/** Relays (read, write, inbox), privacy, blocked people, backup, outbox, erase. */
@Composable
fun SettingsRoute(core: Core, app: FreeportApplication, onBackup: () -> Unit, onContacts: () -> Unit = {}) {
    val vm = rememberScreenModel("settings") { SettingsViewModel(core, app.wiper, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    val activity = LocalContext.current.findActivity()
    LaunchedEffect(Unit) { vm.load() }
    LaunchedEffect(s.wiped) {
        if (s.wiped) {
            // The open store and keys belong to the erased identity: leave the process.
            delay(1_500)
            activity?.finishAffinity()
            exitProcess(0)
        }
    }
    val actions = remember(vm) {
        object : SettingsActions {
            override fun setDraft(role: RelayListRole, text: String) = vm.setDraft(role, text)
            override fun addRelay(role: RelayListRole) { vm.addRelay(role) }
            override fun removeRelay(role: RelayListRole, url: String) { vm.removeRelay(role, url) }
            override fun resetRelays() { vm.resetRelays() }
            override fun setRequireNip17(on: Boolean) { vm.setRequireNip17(on) }
            override fun unblock(pubkey: String) { vm.unblock(pubkey) }
            override fun setNotices(channel: NoticeChannel, on: Boolean) { vm.setNotices(channel, on) }
            override fun backup() = onBackup()
            override fun chooseLanguage() {
                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU && activity != null) {
                    activity.startActivity(
                        Intent(Settings.ACTION_APP_LOCALE_SETTINGS, Uri.fromParts("package", activity.packageName, null)),
                    )
                }
            }
            override fun wipe() { vm.wipe() }
            override fun cancelWipe() = vm.cancelWipe()
            override fun contacts() = onContacts()
        }
    }
    SettingsScreen(s, actions)
}

@Composable
fun SettingsScreen(s: SettingsViewModel.State, on: SettingsActions, scroll: ScrollState = rememberScrollState()) {
    Column(
        Modifier.fillMaxSize().verticalScroll(scroll).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.settings_title), style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() })
        if (s.wiped) {
            Text(stringResource(R.string.settings_wiped))
            return@Column
        }
        Text(stringResource(R.string.settings_relays), style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
        Text(stringResource(R.string.settings_relays_explain), style = MaterialTheme.typography.bodyMedium,
            color = MaterialTheme.colorScheme.onSurfaceVariant)
        for (role in RelayListRole.entries) RelayListSection(s, role, on)
        s.relays?.let { r ->
            if (!r.published) Text(stringResource(R.string.settings_relays_unpublished), style = MaterialTheme.typography.bodyMedium)
        }
        TextButton(onClick = on::resetRelays) { Text(stringResource(R.string.settings_relays_reset)) }
        ErrorBanner(s.error)

        // Android 13+ lets each app have its own language (res/xml/locales_config.xml lists them).
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            HorizontalDivider()
            Text(stringResource(R.string.settings_language), style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
            OutlinedButton(onClick = on::chooseLanguage) { Text(stringResource(R.string.settings_language_choose)) }
        }

        HorizontalDivider()
        Text(stringResource(R.string.settings_privacy), style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
        SwitchRow(stringResource(R.string.settings_nip17), stringResource(R.string.settings_nip17_explain), s.requireNip17, on::setRequireNip17)
        Text(stringResource(R.string.settings_blocked), style = MaterialTheme.typography.titleMedium)
        if (s.blocked.isEmpty()) {
            Text(stringResource(R.string.settings_blocked_empty), style = MaterialTheme.typography.bodyMedium,
                color = MaterialTheme.colorScheme.onSurfaceVariant)
        }
        s.blocked.forEach { b ->
            val who = b.name ?: shortKey(b.npub)
            val unblock = stringResource(R.string.settings_unblock_desc, who)
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(who, modifier = Modifier.weight(1f), style = MaterialTheme.typography.bodyLarge)
                TextButton(onClick = { on.unblock(b.pubkey) }, modifier = Modifier.semantics { contentDescription = unblock }) {
                    Text(stringResource(R.string.settings_unblock))
                }
            }
        }

        s.notices?.let { n ->
            HorizontalDivider()
            Text(stringResource(R.string.settings_notices), style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
            Text(stringResource(R.string.settings_notices_hint), style = MaterialTheme.typography.bodyMedium,
                color = MaterialTheme.colorScheme.onSurfaceVariant)
            SwitchRow(stringResource(R.string.settings_notices_deals), null, n.deals) { on.setNotices(NoticeChannel.DEALS, it) }
            SwitchRow(stringResource(R.string.settings_notices_ratings), null, n.ratings) { on.setNotices(NoticeChannel.RATINGS, it) }
            SwitchRow(stringResource(R.string.settings_notices_safety), null, n.safety) { on.setNotices(NoticeChannel.SAFETY, it) }
        }

        HorizontalDivider()
        Text(pluralStringResource(R.plurals.settings_outbox, s.outboxPending, s.outboxPending))
        OutlinedButton(onClick = on::backup, modifier = Modifier.fillMaxWidth()) { Text(stringResource(R.string.settings_backup)) }
        OutlinedButton(onClick = on::contacts, modifier = Modifier.fillMaxWidth()) { Text(stringResource(R.string.settings_contacts)) }
        Button(
            onClick = on::wipe,
            colors = ButtonDefaults.buttonColors(
                containerColor = MaterialTheme.colorScheme.error,
                contentColor = MaterialTheme.colorScheme.onError,
            ),
            modifier = Modifier.fillMaxWidth(),
        ) {
            Text(stringResource(if (s.confirmWipe) R.string.settings_wipe_confirm else R.string.settings_wipe), textAlign = TextAlign.Center)
        }
        if (s.confirmWipe) TextButton(onClick = on::cancelWipe) { Text(stringResource(R.string.cancel)) }
        Text(stringResource(R.string.settings_version, s.coreVersion), style = MaterialTheme.typography.bodySmall)
    }
}

/** A whole-row switch with a title and an explanation (one target for TalkBack and touch). */
@Composable
internal fun SwitchRow(title: String, explain: String?, checked: Boolean, onChange: (Boolean) -> Unit) {
    Row(
        Modifier.fillMaxWidth().heightIn(min = 48.dp).toggleable(checked, role = Role.Switch, onValueChange = onChange),
        horizontalArrangement = Arrangement.spacedBy(12.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Column(Modifier.weight(1f)) {
            Text(title, style = MaterialTheme.typography.bodyLarge)
            if (explain != null) {
                Text(explain, style = MaterialTheme.typography.bodyMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
            }
        }
        Switch(checked = checked, onCheckedChange = null)
    }
}

/**
 * One list of the relay settings: its relays with their connection state, each with the core's
 * refusal next to it if it has one, and a field to add one with the refusal of what was typed.
 */
@Composable
private fun RelayListSection(s: SettingsViewModel.State, role: RelayListRole, on: SettingsActions) {
    Text(
        stringResource(
            when (role) {
                RelayListRole.READ -> R.string.settings_relays_read
                RelayListRole.WRITE -> R.string.settings_relays_write
                RelayListRole.INBOX -> R.string.settings_relays_inbox
            },
        ),
        style = MaterialTheme.typography.titleMedium,
        modifier = Modifier.semantics { heading() },
    )
    s.list(role).forEachIndexed { i, url ->
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalAlignment = Alignment.CenterVertically) {
            Column(Modifier.weight(1f)) {
                Text(url, style = MaterialTheme.typography.bodyLarge)
                Text(
                    stringResource(if (s.isConnected(url)) R.string.settings_relay_connected else R.string.settings_relay_disconnected),
                    style = MaterialTheme.typography.bodyMedium,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                )
                s.entryViolation(role, i)?.let { RelayRuleLine(it.rule) }
            }
            IconButton(onClick = { on.removeRelay(role, url) }) {
                Icon(Icons.Filled.Delete, contentDescription = stringResource(R.string.settings_relay_remove, ltr(url)))
            }
        }
    }
    val refused = s.draftViolation(role)
    OutlinedTextField(
        s.drafts[role].orEmpty(),
        { on.setDraft(role, it) },
        label = { Text(stringResource(R.string.settings_relay_add)) },
        singleLine = true,
        isError = refused != null,
        supportingText = refused?.let { v -> { RelayRuleLine(v.rule) } },
        modifier = Modifier.fillMaxWidth(),
    )
    OutlinedButton(onClick = { on.addRelay(role) }, enabled = s.drafts[role].orEmpty().isNotEmpty()) {
        Text(stringResource(R.string.settings_relay_add))
    }
}

/** The core's rule for a refused relay, in the user's language, announced politely. */
@Composable
private fun RelayRuleLine(rule: RelayUrlRule) {
    Text(
        relayRuleText(rule),
        color = MaterialTheme.colorScheme.error,
        style = MaterialTheme.typography.bodyMedium,
        modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite },
    )
}
