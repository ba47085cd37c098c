package app.freeport.android.ui.screens

import app.freeport.android.ui.shortKey
import app.freeport.android.ui.BlockDialog
import androidx.compose.runtime.setValue
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.mutableStateOf
import androidx.compose.foundation.BorderStroke
import androidx.compose.foundation.ScrollState
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.selection.SelectionContainer
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.LocalTextStyle
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.style.TextDirection
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.R
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.DealStateLine
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.actionText
import app.freeport.android.ui.cancellationText
import app.freeport.android.ui.TermEditor
import app.freeport.android.ui.termLine
import app.freeport.android.ui.termValueText
import app.freeport.android.ui.rememberScreenModel
import app.freeport.android.ui.stageText
import app.freeport.core.DealAction
import app.freeport.core.DealStage
import app.freeport.core.Party
import app.freeport.presentation.Core
import app.freeport.presentation.DealChatViewModel
import app.freeport.presentation.DealCheckinViewModel
import app.freeport.presentation.NegotiationViewModel

/** What the deal screen can ask for; the route forwards each to its view models. */
interface DealActions {
    fun edit(path: String, value: String) {}
    fun accept() {}
    fun pick() {}
    fun counter() {}
    fun editCancelReason(text: String) {}
    fun cancel() {}
    fun requestCancel() {}
    fun agreeCancel() {}
    fun declineCancel() {}
    fun markStage(stage: DealStage) {}
    fun setBlocked(blocked: Boolean) {}
    fun editMessage(text: String) {}
    fun send() {}
    fun meet() {}
    fun rate() {}
    fun screen() {}
    fun checkin() {}
}

/** The deal wired to its view models: the negotiation ([NegotiationViewModel]) and its chat ([DealChatViewModel]). */
@Composable
fun DealRoute(
    core: Core,
    nego: String,
    onMeet: () -> Unit,
    onRate: () -> Unit,
    onScreen: () -> Unit,
    onCheckin: () -> Unit = {},
) {
    val vm = rememberScreenModel("deal-$nego") { NegotiationViewModel(core, nego, it) }
    val chat = rememberScreenModel("deal-chat-$nego") { DealChatViewModel(core, nego, it) }
    // The check-in entry shows when the core offers something for this deal (or one runs).
    val checkins = core.checkins
    val checkin = checkins?.let { cc -> rememberScreenModel("deal-checkin-entry-$nego") { DealCheckinViewModel(cc, nego, it) } }
    val s by vm.state.collectAsStateWithLifecycle()
    val c by chat.state.collectAsStateWithLifecycle()
    val ci = checkin?.state?.collectAsStateWithLifecycle()?.value
    LaunchedEffect(Unit) {
        vm.load()
        chat.load()
    }
    DisposableEffect(Unit) {
        val watching = listOfNotNull(vm.watch(), chat.watch(), checkin?.watch())
        onDispose { watching.forEach { it.cancel() } }
    }
    val actions = remember(vm, chat) {
        object : DealActions {
            override fun edit(path: String, value: String) = vm.edit(path, value)
            override fun accept() { vm.accept() }
            override fun pick() { vm.pick() }
            override fun counter() { vm.counter() }
            override fun editCancelReason(text: String) = vm.editCancelReason(text)
            override fun cancel() { vm.cancel() }
            override fun requestCancel() { vm.requestCancel() }
            override fun agreeCancel() { vm.agreeCancel() }
            override fun declineCancel() { vm.declineCancel() }
            override fun markStage(stage: DealStage) { vm.markStage(stage) }
            override fun setBlocked(blocked: Boolean) { vm.setBlocked(blocked) }
            override fun editMessage(text: String) = chat.edit(text)
            override fun send() { chat.send() }
            override fun meet() = onMeet()
            override fun rate() = onRate()
            override fun screen() = onScreen()
            override fun checkin() = onCheckin()
        }
    }
    DealScreen(s, c, actions, checkinOffered = ci != null && (ci.actions.isNotEmpty() || ci.checkin != null))
}

/**
 * One deal: where it stands, an answer to their request to cancel, the terms (editable for a
 * counter-offer), their contact once confirmed, the next steps, the chat, what was refused from
 * them, leaving the deal, and blocking them. Every action button is one of the core's
 * [NegotiationViewModel.State.actions] for this deal now, and only those; the message field is
 * there only while the core offers [DealAction.CHAT].
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DealScreen(
    s: NegotiationViewModel.State,
    chat: DealChatViewModel.State,
    on: DealActions,
    scroll: ScrollState = rememberScrollState(),
    checkinOffered: Boolean = false,
) {
    val d = s.deal
    Column(
        Modifier.fillMaxSize().verticalScroll(scroll).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(d?.intentTitle ?: stringResource(R.string.deal_title), style = MaterialTheme.typography.headlineSmall,
            modifier = Modifier.semantics { heading() })
        ErrorBanner(s.error)
        if (d == null) return@Column
        val can = s.actions

        Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
            DealStateLine(d.state)
            d.stage?.let { Text(stringResource(R.string.deal_stage, stageText(it))) }
            d.cancellation?.let { Text(cancellationText(it)) }
            if (d.counterpartyBlocked) {
                Text(stringResource(R.string.deal_blocked_note), style = MaterialTheme.typography.bodyMedium,
                    color = MaterialTheme.colorScheme.onSurfaceVariant)
            }
        }

        // Their request to cancel comes first: it waits for an answer.
        if (DealAction.AGREE_CANCEL in can || DealAction.DECLINE_CANCEL in can) {
            Card(
                Modifier.fillMaxWidth(),
                colors = CardDefaults.cardColors(
                    containerColor = MaterialTheme.colorScheme.tertiaryContainer,
                    contentColor = MaterialTheme.colorScheme.onTertiaryContainer,
                ),
            ) {
                Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    Text(stringResource(R.string.deal_cancel_asked), style = MaterialTheme.typography.bodyLarge,
                        modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite })
                    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                        if (DealAction.DECLINE_CANCEL in can) {
                            BusyButton(actionText(DealAction.DECLINE_CANCEL), s.busy, on::declineCancel)
                        }
                        if (DealAction.AGREE_CANCEL in can) {
                            val onCard = MaterialTheme.colorScheme.onTertiaryContainer
                            OutlinedButton(
                                onClick = on::agreeCancel,
                                enabled = !s.busy,
                                colors = ButtonDefaults.outlinedButtonColors(contentColor = onCard),
                                border = BorderStroke(1.dp, onCard),
                            ) { Text(actionText(DealAction.AGREE_CANCEL)) }
                        }
                    }
                }
            }
        }

        Text(stringResource(R.string.deal_terms), style = MaterialTheme.typography.titleMedium)
        // Who proposed and the rounds left matter while the terms can still be answered.
        if (DealAction.ACCEPT in can || DealAction.PICK in can || DealAction.COUNTER in can) {
            Text(
                stringResource(if (d.proposedBy == Party.US) R.string.deal_proposed_by_us else R.string.deal_proposed_by_them) +
                    " · " + pluralStringResource(R.plurals.deal_rounds_left, d.roundsLeft.toInt(), d.roundsLeft.toInt()),
                style = MaterialTheme.typography.bodyMedium,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
            )
        }
        // The core's typed terms: money, numbers and dates in the user's locale. A counter edits
        // the ones text can edit (their text as typed); the window and the like stay as lines.
        s.terms.forEach { t ->
            val onTable = t.editText
            if (DealAction.COUNTER in can && onTable != null) {
                TermEditor(t, s.edits[t.path] ?: onTable, { on.edit(t.path, it) }, onTable = termValueText(t.value))
            } else {
                Text(termLine(t))
            }
        }
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            if (DealAction.ACCEPT in can) BusyButton(actionText(DealAction.ACCEPT), s.busy, on::accept)
            if (DealAction.PICK in can) BusyButton(actionText(DealAction.PICK), s.busy, on::pick)
            if (DealAction.COUNTER in can) {
                OutlinedButton(onClick = on::counter, enabled = !s.busy && s.edits.isNotEmpty()) {
                    Text(actionText(DealAction.COUNTER))
                }
            }
        }

        // Their contact once revealed; before that, while the deal is alive, where it will be.
        val contact = s.contact
        if (contact != null || DealAction.CANCEL in can) {
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    Text(stringResource(R.string.deal_contact), style = MaterialTheme.typography.titleSmall)
                    // A phone number has no letters to give it a direction: it reads left to right.
                    if (contact != null) SelectionContainer { Text(contact, style = LocalTextStyle.current.copy(textDirection = TextDirection.ContentOrLtr)) } else Text(stringResource(R.string.deal_contact_hidden))
                }
            }
        }

        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            // The meet screen shows or scans the code: either action opens it.
            if (DealAction.SHOW_CODE in can || DealAction.SCAN_CODE in can) BusyButton(stringResource(R.string.deal_meet), false, on::meet)
            if (DealAction.RATE in can) OutlinedButton(onClick = on::rate) { Text(actionText(DealAction.RATE)) }
            if (DealAction.MARK_PICKED_UP in can) {
                OutlinedButton(onClick = { on.markStage(DealStage.PICKED_UP) }, enabled = !s.busy) {
                    Text(actionText(DealAction.MARK_PICKED_UP))
                }
            }
            if (DealAction.MARK_COMPLETED in can) {
                OutlinedButton(onClick = { on.markStage(DealStage.COMPLETED) }, enabled = !s.busy) {
                    Text(actionText(DealAction.MARK_COMPLETED))
                }
            }
            OutlinedButton(onClick = on::screen) { Text(stringResource(R.string.deal_screen)) }
            if (checkinOffered) OutlinedButton(onClick = on::checkin) { Text(stringResource(R.string.deal_checkin)) }
        }

        HorizontalDivider()
        DealChatSection(chat, canWrite = DealAction.CHAT in can, on)

        if (s.refusals.isNotEmpty()) {
            HorizontalDivider()
            RefusalsSection(s.refusals)
        }

        if (DealAction.CANCEL in can || DealAction.REQUEST_CANCEL in can) {
            HorizontalDivider()
            OutlinedTextField(s.cancelReason, on::editCancelReason, label = { Text(stringResource(R.string.deal_cancel_reason)) },
                singleLine = true, modifier = Modifier.fillMaxWidth())
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                if (DealAction.REQUEST_CANCEL in can) {
                    OutlinedButton(onClick = on::requestCancel, enabled = !s.busy) { Text(actionText(DealAction.REQUEST_CANCEL)) }
                }
                if (DealAction.CANCEL in can) {
                    OutlinedButton(onClick = on::cancel, enabled = !s.busy) { Text(actionText(DealAction.CANCEL)) }
                }
            }
        }

        // Blocking is the user's own choice about a key, possible at any time; the core drops
        // what a blocked key sends, silently.
        var confirmBlock by rememberSaveable { mutableStateOf(false) }
        TextButton(
            onClick = { if (d.counterpartyBlocked) on.setBlocked(false) else confirmBlock = true },
            enabled = !s.busy,
            colors = if (d.counterpartyBlocked) ButtonDefaults.textButtonColors() else ButtonDefaults.textButtonColors(contentColor = MaterialTheme.colorScheme.error),
        ) {
            Text(stringResource(if (d.counterpartyBlocked) R.string.unblock_them else R.string.block_them))
        }
        if (confirmBlock) {
            BlockDialog(shortKey(d.counterpartyNpub), onBlock = { confirmBlock = false; on.setBlocked(true) }, onDismiss = { confirmBlock = false })
        }
    }
}
