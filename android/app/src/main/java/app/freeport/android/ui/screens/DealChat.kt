package app.freeport.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.R
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.rememberScreenModel
import app.freeport.core.DealStage
import app.freeport.core.RefusalCode
import app.freeport.presentation.Core
import app.freeport.presentation.DealChatViewModel

/** The chat thread of a deal, what they sent that was refused (and why), progress, mutual cancel, block. */
@Composable
fun DealChatSection(core: Core, nego: String) {
    val vm = rememberScreenModel("deal-chat-$nego") { DealChatViewModel(core, nego, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { vm.load() }
    DisposableEffect(Unit) {
        val watching = vm.watch()
        onDispose { watching.cancel() }
    }
    val d = s.deal ?: return
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(stringResource(R.string.chat_title), style = MaterialTheme.typography.titleMedium,
            modifier = Modifier.semantics { heading() })
        ErrorBanner(s.error)
        if (s.messages.isEmpty()) Text(stringResource(R.string.chat_empty))
        s.messages.forEach { m ->
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(8.dp)) {
                    Text(stringResource(if (m.fromMe) R.string.chat_from_me else R.string.chat_from_them),
                        style = MaterialTheme.typography.labelSmall)
                    Text(m.text)
                }
            }
        }
        OutlinedTextField(s.draft, { vm.edit(it) }, label = { Text(stringResource(R.string.chat_hint)) },
            modifier = Modifier.fillMaxWidth())
        BusyButton(stringResource(R.string.chat_send), s.busy, { vm.send() }, enabled = s.draft.isNotBlank())

        d.stage?.let { Text(stringResource(if (it == DealStage.COMPLETED) R.string.stage_completed else R.string.stage_picked_up)) }
        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            OutlinedButton(onClick = { vm.markStage(DealStage.PICKED_UP) }, enabled = !s.busy) {
                Text(stringResource(R.string.stage_mark_picked_up))
            }
            OutlinedButton(onClick = { vm.markStage(DealStage.COMPLETED) }, enabled = !s.busy) {
                Text(stringResource(R.string.stage_mark_completed))
            }
        }
        if (d.cancelRequestedByThem) {
            Text(stringResource(R.string.cancel_requested_by_them))
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                OutlinedButton(onClick = { vm.answerCancel(true) }, enabled = !s.busy) { Text(stringResource(R.string.cancel_agree)) }
                OutlinedButton(onClick = { vm.answerCancel(false) }, enabled = !s.busy) { Text(stringResource(R.string.cancel_decline)) }
            }
        } else {
            OutlinedButton(onClick = { vm.requestCancel(null) }, enabled = !s.busy) { Text(stringResource(R.string.cancel_request)) }
        }

        if (s.refusals.isNotEmpty()) {
            Text(stringResource(R.string.refused_title), style = MaterialTheme.typography.titleSmall)
            s.refusals.forEach { Text(stringResource(refusalText(it.code))) }
        }
        OutlinedButton(onClick = { vm.setBlocked(!d.counterpartyBlocked) }, enabled = !s.busy) {
            Text(stringResource(if (d.counterpartyBlocked) R.string.unblock_them else R.string.block_them))
        }
    }
}

/** The words for each typed refusal reason. */
private fun refusalText(code: RefusalCode): Int = when (code) {
    RefusalCode.NOT_FREEPORT -> R.string.refused_not_freeport
    RefusalCode.MALFORMED -> R.string.refused_malformed
    RefusalCode.NOT_FOR_US -> R.string.refused_not_for_us
    RefusalCode.UNKNOWN_DEAL -> R.string.refused_unknown_deal
    RefusalCode.BAD_OPENING -> R.string.refused_bad_opening
    RefusalCode.STALE_ACCEPT -> R.string.refused_stale_accept
    RefusalCode.NOT_ALLOWED_NOW -> R.string.refused_not_allowed_now
    RefusalCode.CLOSED -> R.string.refused_closed
    RefusalCode.IRREVERSIBLE -> R.string.refused_irreversible
    RefusalCode.ROUND_CAP_REACHED -> R.string.refused_round_cap
    RefusalCode.EXPIRED -> R.string.refused_expired
    RefusalCode.TOO_MANY_MESSAGES -> R.string.refused_too_many
    RefusalCode.THREAD_LIMIT -> R.string.refused_thread_limit
    RefusalCode.CHAT_FULL -> R.string.refused_chat_full
}
