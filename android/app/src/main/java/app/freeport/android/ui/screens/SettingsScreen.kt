package app.freeport.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.toggleable
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
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.FreeportApplication
import app.freeport.android.R
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.findActivity
import app.freeport.android.ui.rememberScreenModel
import app.freeport.core.NoticeChannel
import app.freeport.core.RelayListRole
import app.freeport.core.RelayUrlRule
import app.freeport.presentation.Core
import app.freeport.presentation.SettingsViewModel
import kotlinx.coroutines.delay
import kotlin.system.exitProcess

/** Relays (read, write, inbox), backup, outbox, erase. */
@Composable
fun SettingsScreen(core: Core, app: FreeportApplication, onBackup: () -> Unit) {
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
            override fun addRelay(url: String) = vm.addRelay(url) != null
            override fun removeRelay(url: String) { vm.removeRelay(url) }
            override fun backup() = onBackup()
            override fun wipe() { vm.wipe() }
            override fun cancelWipe() = vm.cancelWipe()
            override fun setNotices(channel: NoticeChannel, on: Boolean) { vm.setNotices(channel, on) }
        }
    }
    SettingsScreen(s, actions)
}

@Composable
fun SettingsScreen(s: SettingsViewModel.State, vm: SettingsActions) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.settings_title), style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() })
        if (s.wiped) {
            Text(stringResource(R.string.settings_wiped))
            return@Column
        }
        Text(stringResource(R.string.settings_relays), style = MaterialTheme.typography.titleMedium)
        Text(stringResource(R.string.settings_relays_explain), style = MaterialTheme.typography.bodySmall)
        for (role in RelayListRole.entries) {
            RelayListSection(s, role, vm)
        }
        s.relays?.let { r ->
            if (!r.published) Text(stringResource(R.string.settings_relays_unpublished), style = MaterialTheme.typography.bodySmall)
        }
        TextButton(onClick = { vm.resetRelays() }) { Text(stringResource(R.string.settings_relays_reset)) }
        s.notices?.let { n ->
            Text(stringResource(R.string.settings_notices), style = MaterialTheme.typography.titleMedium)
            Text(stringResource(R.string.settings_notices_hint), style = MaterialTheme.typography.bodyMedium,
                color = MaterialTheme.colorScheme.onSurfaceVariant)
            NoticeSwitch(R.string.settings_notices_deals, n.deals) { vm.setNotices(NoticeChannel.DEALS, it) }
            NoticeSwitch(R.string.settings_notices_ratings, n.ratings) { vm.setNotices(NoticeChannel.RATINGS, it) }
            NoticeSwitch(R.string.settings_notices_safety, n.safety) { vm.setNotices(NoticeChannel.SAFETY, it) }
        }
        Text(pluralStringResource(R.plurals.settings_outbox, s.outboxPending, s.outboxPending))
        ErrorBanner(s.error)
        OutlinedButton(onClick = vm::backup, modifier = Modifier.fillMaxWidth()) { Text(stringResource(R.string.settings_backup)) }
        Button(
            onClick = { vm.wipe() },
            colors = ButtonDefaults.buttonColors(containerColor = MaterialTheme.colorScheme.error),
            modifier = Modifier.fillMaxWidth(),
        ) { Text(stringResource(if (s.confirmWipe) R.string.settings_wipe_confirm else R.string.settings_wipe)) }
        if (s.confirmWipe) TextButton(onClick = vm::cancelWipe) { Text(stringResource(R.string.cancel)) }
        Text(stringResource(R.string.settings_version, s.coreVersion), style = MaterialTheme.typography.bodySmall)
    }
}

/** One notification channel's switch: the whole row toggles (one TalkBack stop). */
@Composable
private fun NoticeSwitch(label: Int, on: Boolean, onChange: (Boolean) -> Unit) {
    Row(
        Modifier.fillMaxWidth().heightIn(min = 48.dp).toggleable(on, role = Role.Switch, onValueChange = onChange),
        horizontalArrangement = Arrangement.spacedBy(12.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Text(stringResource(label), modifier = Modifier.weight(1f))
        Switch(checked = on, onCheckedChange = null)
    }
}
/** One list of the relay settings: its relays with their status, and a field to add one. */
@Composable
private fun RelayListSection(s: SettingsViewModel.State, role: RelayListRole, vm: SettingsViewModel) {
    Text(
        stringResource(
            when (role) {
                RelayListRole.READ -> R.string.settings_relays_read
                RelayListRole.WRITE -> R.string.settings_relays_write
                RelayListRole.INBOX -> R.string.settings_relays_inbox
            },
        ),
        style = MaterialTheme.typography.titleSmall,
    )
    s.list(role).forEachIndexed { i, url ->
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(url, modifier = Modifier.weight(1f))
            Text(
                stringResource(if (s.isConnected(url)) R.string.settings_relay_connected else R.string.settings_relay_disconnected),
                style = MaterialTheme.typography.bodySmall,
            )
            IconButton(onClick = { vm.removeRelay(role, url) }) {
                Icon(Icons.Filled.Delete, contentDescription = stringResource(R.string.settings_relay_remove, url))
            }
        }
        s.entryViolation(role, i)?.let { RelayRuleText(it.rule) }
    }
    val refused = s.draftViolation(role)
    OutlinedTextField(
        s.drafts[role].orEmpty(),
        { vm.setDraft(role, it) },
        label = { Text(stringResource(R.string.settings_relay_add)) },
        singleLine = true,
        isError = refused != null,
        supportingText = { refused?.let { RelayRuleText(it.rule) } },
        modifier = Modifier.fillMaxWidth(),
    )
    OutlinedButton(onClick = { vm.addRelay(role) }, enabled = s.drafts[role].orEmpty().isNotBlank()) {
        Text(stringResource(R.string.settings_relay_add))
    }
}

/** The core's rule code for a refused relay, in the user's language. */
@Composable
private fun RelayRuleText(rule: RelayUrlRule) {
    val text = when (rule) {
        RelayUrlRule.Empty -> stringResource(R.string.relay_rule_empty)
        is RelayUrlRule.TooLong -> stringResource(R.string.relay_rule_too_long, rule.max.toInt())
        RelayUrlRule.NotAUrl -> stringResource(R.string.relay_rule_not_a_url)
        RelayUrlRule.Scheme -> stringResource(R.string.relay_rule_scheme)
        RelayUrlRule.PlainWs -> stringResource(R.string.relay_rule_plain_ws)
        RelayUrlRule.Credentials -> stringResource(R.string.relay_rule_credentials)
        RelayUrlRule.PrivateAddress -> stringResource(R.string.relay_rule_private)
        RelayUrlRule.Onion -> stringResource(R.string.relay_rule_onion)
        RelayUrlRule.HostileShape -> stringResource(R.string.relay_rule_shape)
        RelayUrlRule.Duplicate -> stringResource(R.string.relay_rule_duplicate)
        is RelayUrlRule.TooMany -> stringResource(R.string.relay_rule_too_many, rule.max.toInt())
        RelayUrlRule.ListEmpty -> stringResource(R.string.relay_rule_list_empty)
    }
    Text(
        text,
        color = MaterialTheme.colorScheme.error,
        style = MaterialTheme.typography.bodySmall,
        modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite },
    )
}
