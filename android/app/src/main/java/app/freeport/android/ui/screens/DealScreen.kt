package app.freeport.android.ui.screens

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
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.R
import app.freeport.android.ui.DealStateLine
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.cancellationText
import app.freeport.android.ui.rememberScreenModel
import app.freeport.core.DealAction
import app.freeport.core.Party
import app.freeport.presentation.Core
import app.freeport.presentation.NegotiationViewModel

/** What the negotiation thread can ask for; the route forwards each to [NegotiationViewModel]. */
interface DealActions {
    fun edit(key: String, value: String) {}
    fun accept() {}
    fun counter() {}
    fun cancel(reason: String) {}
    fun meet() {}
    fun rate() {}
    fun screen() {}
}

/** The negotiation thread: terms, counter / accept / cancel, rounds left; contact after confirm. */
@Composable
fun DealRoute(core: Core, nego: String, onMeet: () -> Unit, onRate: () -> Unit, onScreen: () -> Unit) {
    val vm = rememberScreenModel("deal-$nego") { NegotiationViewModel(core, nego, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { vm.load() }
    DisposableEffect(Unit) {
        val watching = vm.watch()
        onDispose { watching.cancel() }
    }
    val actions = remember(vm) {
        object : DealActions {
            override fun edit(key: String, value: String) { vm.edit(key, value) }
            override fun accept() { vm.accept() }
            override fun counter() { vm.counter() }
            override fun cancel(reason: String) { vm.cancel(reason) }
            override fun meet() = onMeet()
            override fun rate() = onRate()
            override fun screen() = onScreen()
        }
    }
    DealScreen(s, actions) { DealChatSection(core, nego) }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun DealScreen(s: NegotiationViewModel.State, vm: DealActions, chat: @Composable () -> Unit = {}) {
    val d = s.deal
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(d?.intentTitle ?: stringResource(R.string.deal_title), style = MaterialTheme.typography.headlineSmall,
            modifier = Modifier.semantics { heading() })
        ErrorBanner(s.error)
        if (d == null) return@Column
        DealStateLine(d.state)
        d.cancellation?.let { Text(cancellationText(it)) }
        Text(stringResource(if (d.proposedBy == Party.US) R.string.deal_proposed_by_us else R.string.deal_proposed_by_them))
        Text(pluralStringResource(R.plurals.deal_rounds_left, d.roundsLeft.toInt(), d.roundsLeft.toInt()))
        Text(stringResource(R.string.deal_terms), style = MaterialTheme.typography.titleMedium)
        // Every button below is one of the core's actions for this deal now, and only those.
        val can = s.actions
        s.terms.forEach { (k, v) ->
            if (DealAction.COUNTER in can) {
                OutlinedTextField(s.edits[k] ?: v, { vm.edit(k, it) }, label = { Text(k) }, modifier = Modifier.fillMaxWidth())
            } else {
                Text("$k: $v")
            }
        }
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            if (DealAction.ACCEPT in can) BusyButton(stringResource(R.string.deal_accept), s.busy, { vm.accept() })
            if (DealAction.PICK in can) BusyButton(stringResource(R.string.action_pick), s.busy, { vm.pick() })
            if (DealAction.COUNTER in can) OutlinedButton(onClick = { vm.counter() }, enabled = !s.busy && s.edits.isNotEmpty()) {
                Text(stringResource(R.string.deal_counter))
            }
        }
        Card(Modifier.fillMaxWidth()) {
            Column(Modifier.padding(12.dp)) {
                Text(stringResource(R.string.deal_contact), style = MaterialTheme.typography.titleSmall)
                val contact = s.contact
                if (contact != null) SelectionContainer { Text(contact) } else Text(stringResource(R.string.deal_contact_hidden))
            }
        }
        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            // The meet screen shows or scans the code: either action opens it.
            if (DealAction.SHOW_CODE in can || DealAction.SCAN_CODE in can) BusyButton(stringResource(R.string.deal_meet), false, vm::meet)
            if (DealAction.RATE in can) OutlinedButton(onClick = vm::rate) { Text(stringResource(R.string.deal_rate)) }
            OutlinedButton(onClick = vm::screen) { Text(stringResource(R.string.deal_screen)) }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            if (DealAction.AGREE_CANCEL in can) OutlinedButton(onClick = { vm.agreeCancel() }, enabled = !s.busy) {
                Text(stringResource(R.string.action_agree_cancel))
            }
            if (DealAction.DECLINE_CANCEL in can) OutlinedButton(onClick = { vm.declineCancel() }, enabled = !s.busy) {
                Text(stringResource(R.string.action_decline_cancel))
            }
        }
        if (DealAction.CANCEL in can || DealAction.REQUEST_CANCEL in can) {
            var reason by rememberSaveable { mutableStateOf("") }
            OutlinedTextField(reason, { reason = it }, label = { Text(stringResource(R.string.deal_cancel_reason)) },
                singleLine = true, modifier = Modifier.fillMaxWidth())
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                if (DealAction.REQUEST_CANCEL in can) OutlinedButton(onClick = { vm.requestCancel(reason) }, enabled = !s.busy) {
                    Text(stringResource(R.string.action_request_cancel))
                }
                if (DealAction.CANCEL in can) OutlinedButton(onClick = { vm.cancel(reason) }, enabled = !s.busy) {
                    Text(stringResource(R.string.deal_cancel))
                }
            }
        }
        chat()
    }
}
