package app.freeport.android.ui.screens

import androidx.compose.foundation.ScrollState
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.text.selection.SelectionContainer
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.Checkbox
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableLongStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.ui.uiLocale
import app.freeport.android.ui.shortKey
import app.freeport.android.ui.ltr
import app.freeport.android.R
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.checkinStateText
import app.freeport.android.ui.refusalText
import app.freeport.android.ui.rememberScreenModel
import app.freeport.core.CheckinAction
import app.freeport.core.CheckinDelivery
import app.freeport.core.CheckinMeetingView
import app.freeport.core.CheckinState
import app.freeport.presentation.CheckinAlertViewModel
import app.freeport.presentation.CheckinCore
import app.freeport.presentation.CheckinPinsViewModel
import app.freeport.presentation.DealCheckinViewModel
import app.freeport.presentation.TrustedContactsViewModel
import kotlinx.coroutines.delay

/** Deadline choices offered when sharing or moving a deadline (minutes from now). */
val CHECKIN_CHOICES = listOf(30L, 60L, 120L, 240L)

private fun nowSecs(): Long = System.currentTimeMillis() / 1000

/** Seconds as a clock shows them: `1:05:09`, `4:32`. */
fun countdownText(seconds: Long): String {
    val h = seconds / 3600
    val m = (seconds % 3600) / 60
    val s = seconds % 60
    return if (h > 0) "%d:%02d:%02d".format(h, m, s) else "%d:%02d".format(m, s)
}

/** The current unix time, ticking every second while shown (for a countdown). */
@Composable
fun tickingNow(): Long {
    var now by remember { mutableLongStateOf(nowSecs()) }
    LaunchedEffect(Unit) {
        while (true) {
            delay(1_000)
            now = nowSecs()
        }
    }
    return now
}

/** What the check-in screen can ask for. */
interface DealCheckinActions {
    fun toggle(pubkey: String) {}
    fun chooseMinutes(minutes: Long) {}
    fun editPlace(name: String) {}
    fun editPin(pin: String) {}
    fun share() {}
    fun extend() {}
    fun safe() {}
    fun cancel() {}
}

@Composable
fun DealCheckinRoute(core: CheckinCore, nego: String) {
    val vm = rememberScreenModel("checkin-$nego") { DealCheckinViewModel(core, nego, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    DisposableEffect(Unit) {
        val watching = vm.watch()
        onDispose { watching.cancel() }
    }
    val actions = remember(vm) {
        object : DealCheckinActions {
            override fun toggle(pubkey: String) = vm.toggle(pubkey)
            override fun chooseMinutes(minutes: Long) = vm.chooseDeadline((nowSecs() + minutes * 60).toULong())
            override fun editPlace(name: String) = vm.editPlace(name)
            override fun editPin(pin: String) = vm.editPin(pin)
            override fun share() { vm.share() }
            override fun extend() { vm.extend() }
            override fun safe() { vm.safe() }
            override fun cancel() { vm.cancel() }
        }
    }
    DealCheckinScreen(s, tickingNow(), actions)
}

/**
 * A deal's safety check-in: share it with trusted contacts (who, until when, where), then the
 * countdown with "I'm safe", moving the deadline and calling it off. One control per action the
 * core offers now; with PINs set, "I'm safe" asks for one (the duress PIN looks the same here).
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DealCheckinScreen(
    s: DealCheckinViewModel.State,
    now: Long,
    on: DealCheckinActions,
    scroll: ScrollState = rememberScrollState(),
) {
    Column(
        Modifier.fillMaxSize().verticalScroll(scroll).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.checkin_title), style = MaterialTheme.typography.headlineSmall,
            modifier = Modifier.semantics { heading() })
        ErrorBanner(s.error)
        val c = s.checkin
        if (c != null) {
            val alarm = c.state == CheckinState.OVERDUE
            Card(
                Modifier.fillMaxWidth(),
                colors = if (alarm) {
                    CardDefaults.cardColors(
                        containerColor = MaterialTheme.colorScheme.errorContainer,
                        contentColor = MaterialTheme.colorScheme.onErrorContainer,
                    )
                } else {
                    CardDefaults.cardColors()
                },
            ) {
                Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    Text(checkinStateText(c.state), style = MaterialTheme.typography.titleMedium)
                    s.secondsLeft(now)?.takeIf { c.actions.isNotEmpty() }?.let { left ->
                        Text(
                            if (left >= 0) stringResource(R.string.checkin_time_left, countdownText(left))
                            else stringResource(R.string.checkin_time_over, countdownText(-left)),
                            style = MaterialTheme.typography.displaySmall,
                        )
                    }
                    val locale = uiLocale()
                    Text(stringResource(R.string.checkin_shared_with, c.contacts.joinToString(", ") { it.name ?: shortKey(it.npub, locale, 12) }))
                    if (c.delivery == CheckinDelivery.NOT_YET_SENT) {
                        Text(stringResource(R.string.checkin_not_yet_sent), color = MaterialTheme.colorScheme.error,
                            modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
                    }
                }
            }
            if (CheckinAction.SAFE in s.actions) {
                if (s.pinRequired) {
                    OutlinedTextField(
                        s.pin,
                        on::editPin,
                        label = { Text(stringResource(R.string.checkin_pin)) },
                        singleLine = true,
                        visualTransformation = PasswordVisualTransformation(),
                        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
                        modifier = Modifier.fillMaxWidth(),
                    )
                }
                BusyButton(stringResource(R.string.checkin_safe), s.busy, on::safe, Modifier.fillMaxWidth())
            }
            if (CheckinAction.EXTEND in s.actions) {
                Text(stringResource(R.string.checkin_extend_hint), style = MaterialTheme.typography.titleSmall)
                DeadlineChoices(s, now, on)
                OutlinedButton(onClick = on::extend, enabled = !s.busy && s.deadline != null) {
                    Text(stringResource(R.string.checkin_extend))
                }
            }
            if (CheckinAction.CANCEL in s.actions) {
                TextButton(onClick = on::cancel, enabled = !s.busy) { Text(stringResource(R.string.checkin_cancel)) }
            }
        }
        if (CheckinAction.SHARE in s.actions) {
            if (c != null) HorizontalDivider()
            Text(stringResource(R.string.checkin_share_hint), style = MaterialTheme.typography.bodyMedium)
            Text(stringResource(R.string.checkin_with), style = MaterialTheme.typography.titleSmall)
            s.contacts.forEach { contact ->
                // One control per contact: the whole row toggles, TalkBack reads the name.
                Row(
                    Modifier.fillMaxWidth().heightIn(min = 48.dp).toggleable(
                        value = contact.pubkey in s.chosen,
                        role = Role.Checkbox,
                        onValueChange = { on.toggle(contact.pubkey) },
                    ),
                    verticalAlignment = Alignment.CenterVertically,
                    horizontalArrangement = Arrangement.spacedBy(8.dp),
                ) {
                    Checkbox(checked = contact.pubkey in s.chosen, onCheckedChange = null)
                    Text(contact.label ?: contact.name ?: shortKey(contact.npub))
                }
            }
            Text(stringResource(R.string.checkin_until), style = MaterialTheme.typography.titleSmall)
            DeadlineChoices(s, now, on)
            OutlinedTextField(
                s.placeName,
                on::editPlace,
                label = { Text(stringResource(R.string.checkin_place)) },
                singleLine = true,
                modifier = Modifier.fillMaxWidth(),
            )
            BusyButton(stringResource(R.string.checkin_share), s.busy, on::share, Modifier.fillMaxWidth(),
                enabled = s.deadline != null && s.chosen.isNotEmpty())
            Text(stringResource(R.string.checkin_no_emergency), style = MaterialTheme.typography.bodySmall,
                color = MaterialTheme.colorScheme.onSurfaceVariant)
        } else if (c == null) {
            s.view?.shareRefusal?.let { Text(refusalText(it), color = MaterialTheme.colorScheme.onSurfaceVariant) }
        }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun DeadlineChoices(s: DealCheckinViewModel.State, now: Long, on: DealCheckinActions) {
    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        CHECKIN_CHOICES.forEach { minutes ->
            val target = now + minutes * 60
            // Chosen when the chosen deadline is within a minute of this choice.
            val chosen = s.deadline?.toLong()?.let { kotlin.math.abs(it - target) < 60 } ?: false
            FilterChip(
                selected = chosen,
                onClick = { on.chooseMinutes(minutes) },
                label = {
                    Text(
                        if (minutes < 60) pluralStringResource(R.plurals.checkin_in_minutes, minutes.toInt(), minutes.toInt())
                        else pluralStringResource(R.plurals.checkin_in_hours, (minutes / 60).toInt(), (minutes / 60).toInt()),
                    )
                },
            )
        }
    }
}

@Composable
fun CheckinAlertRoute(core: CheckinCore, from: String, id: String) {
    val vm = rememberScreenModel("checkin-alert-$from-$id") { CheckinAlertViewModel(core, from, id, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    DisposableEffect(Unit) {
        val watching = vm.watch()
        onDispose { watching.cancel() }
    }
    CheckinAlertScreen(s, tickingNow())
}

/**
 * A contact's check-in, as their trusted contact sees it: the state first (overdue and "not OK"
 * in red), who, whom they meet (name, key, masked phone, the card they saw), where, until when.
 */
@Composable
fun CheckinAlertScreen(s: CheckinAlertViewModel.State, now: Long, scroll: ScrollState = rememberScrollState()) {
    Column(
        Modifier.fillMaxSize().verticalScroll(scroll).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        ErrorBanner(s.error)
        val c = s.checkin ?: return@Column
        val alarm = c.state == CheckinState.OVERDUE || c.state == CheckinState.DURESS
        val who = c.from.name ?: shortKey(c.from.npub)
        Card(
            Modifier.fillMaxWidth(),
            colors = if (alarm) {
                CardDefaults.cardColors(
                    containerColor = MaterialTheme.colorScheme.errorContainer,
                    contentColor = MaterialTheme.colorScheme.onErrorContainer,
                )
            } else {
                CardDefaults.cardColors()
            },
        ) {
            Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                Text(who, style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() })
                Text(checkinStateText(c.state), style = MaterialTheme.typography.titleLarge,
                    modifier = Modifier.semantics { liveRegion = LiveRegionMode.Assertive })
                // Their deadline in our clock, while the check-in is open (the core's `dueAt`).
                c.dueAt?.let { due ->
                    val left = due.toLong() - now
                    Text(
                        if (left >= 0) stringResource(R.string.checkin_time_left, countdownText(left))
                        else stringResource(R.string.checkin_time_over, countdownText(-left)),
                    )
                }
                if (alarm) Text(stringResource(R.string.checkin_alert_act))
            }
        }
        MeetingCard(c.meeting)
        c.placeName?.let { Text(stringResource(R.string.checkin_at, it)) }
        c.geohash?.let { Text(stringResource(R.string.checkin_area, it)) }
        if (c.clockSkewed) {
            c.clockOffsetSecs?.let {
                val minutes = (kotlin.math.abs(it) / 60).toInt().coerceAtLeast(1)
                Text(pluralStringResource(R.plurals.checkin_clock_skew, minutes, minutes), style = MaterialTheme.typography.bodySmall)
            }
        }
        Text(stringResource(R.string.checkin_no_emergency), style = MaterialTheme.typography.bodySmall,
            color = MaterialTheme.colorScheme.onSurfaceVariant)
    }
}

/** Whom they meet: what their contact needs to act on. */
@Composable
private fun MeetingCard(m: CheckinMeetingView) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(stringResource(R.string.checkin_meeting), style = MaterialTheme.typography.titleSmall)
            Text(m.name ?: shortKey(m.npub), style = MaterialTheme.typography.titleMedium)
            SelectionContainer { Text(m.npub, style = MaterialTheme.typography.bodySmall) }
            m.phone?.let { Text(stringResource(R.string.checkin_phone, ltr(it))) }
            Text(
                pluralStringResource(R.plurals.card_deals, m.screening.deals.toInt(), m.screening.deals.toInt()) +
                    " · " + pluralStringResource(R.plurals.badge_verified_by, m.screening.verifiedBy.toInt(), m.screening.verifiedBy.toInt()),
                style = MaterialTheme.typography.bodyMedium,
            )
        }
    }
}

/** What the trusted contacts screen can ask for. */
interface TrustedContactsActions {
    fun editKey(text: String) {}
    fun editLabel(text: String) {}
    fun add() {}
    fun remove(pubkey: String) {}
    fun editSafePin(pin: String) {}
    fun editDuressPin(pin: String) {}
    fun savePins() {}
    fun clearPins() {}
}

@Composable
fun TrustedContactsRoute(core: CheckinCore) {
    val vm = rememberScreenModel("trusted-contacts") { TrustedContactsViewModel(core, it) }
    val pins = rememberScreenModel("checkin-pins") { CheckinPinsViewModel(core, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    val p by pins.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) {
        vm.load()
        pins.load()
    }
    val actions = remember(vm, pins) {
        object : TrustedContactsActions {
            override fun editKey(text: String) = vm.editKey(text)
            override fun editLabel(text: String) = vm.editLabel(text)
            override fun add() { vm.add() }
            override fun remove(pubkey: String) { vm.remove(pubkey) }
            override fun editSafePin(pin: String) = pins.editSafe(pin)
            override fun editDuressPin(pin: String) = pins.editDuress(pin)
            override fun savePins() { pins.save() }
            override fun clearPins() { pins.clear() }
        }
    }
    TrustedContactsScreen(s, p, actions)
}

/** Trusted contacts (who your check-ins go to, whose you watch) and the check-in PINs. */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun TrustedContactsScreen(
    s: TrustedContactsViewModel.State,
    pins: CheckinPinsViewModel.State,
    on: TrustedContactsActions,
    scroll: ScrollState = rememberScrollState(),
) {
    Column(
        Modifier.fillMaxSize().verticalScroll(scroll).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.contacts_title), style = MaterialTheme.typography.headlineSmall,
            modifier = Modifier.semantics { heading() })
        Text(stringResource(R.string.contacts_hint), style = MaterialTheme.typography.bodyMedium,
            color = MaterialTheme.colorScheme.onSurfaceVariant)
        ErrorBanner(s.error)
        if (s.contacts.isEmpty()) Text(stringResource(R.string.contacts_none))
        s.contacts.forEach { c ->
            val who = c.label ?: c.name ?: shortKey(c.npub)
            Row(Modifier.fillMaxWidth(), verticalAlignment = Alignment.CenterVertically) {
                Text(who, Modifier.weight(1f), style = MaterialTheme.typography.bodyLarge)
                TextButton(onClick = { on.remove(c.pubkey) }, enabled = !s.busy) {
                    Text(stringResource(R.string.contacts_remove))
                }
            }
        }
        OutlinedTextField(s.key, on::editKey, label = { Text(stringResource(R.string.contacts_key)) },
            singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(s.label, on::editLabel, label = { Text(stringResource(R.string.contacts_label)) },
            singleLine = true, modifier = Modifier.fillMaxWidth())
        BusyButton(stringResource(R.string.contacts_add), s.busy, on::add, enabled = s.key.isNotBlank())

        HorizontalDivider()
        Text(stringResource(R.string.pins_title), style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() })
        Text(stringResource(R.string.pins_hint), style = MaterialTheme.typography.bodyMedium,
            color = MaterialTheme.colorScheme.onSurfaceVariant)
        ErrorBanner(pins.error)
        listOf(
            Triple(pins.safePin, on::editSafePin, R.string.pins_safe),
            Triple(pins.duressPin, on::editDuressPin, R.string.pins_duress),
        ).forEach { (value, edit, label) ->
            OutlinedTextField(
                value, edit,
                label = { Text(stringResource(label)) },
                singleLine = true,
                visualTransformation = PasswordVisualTransformation(),
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
                modifier = Modifier.fillMaxWidth(),
            )
        }
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = on::savePins, enabled = pins.safePin.isNotEmpty() && pins.duressPin.isNotEmpty()) {
                Text(stringResource(R.string.pins_save))
            }
            if (pins.pinsSet) TextButton(onClick = on::clearPins) { Text(stringResource(R.string.pins_clear)) }
        }
    }
}
