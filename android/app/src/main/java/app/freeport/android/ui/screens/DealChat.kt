package app.freeport.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.widthIn
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import app.freeport.android.R
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.refusalCodeText
import app.freeport.core.ChatMessageView
import app.freeport.core.RefusalView
import app.freeport.presentation.DealChatViewModel

/**
 * The chat of a deal (stateless): messages, theirs on the left and mine on the right, and the
 * message field while the core offers chat ([canWrite]). The core's refusal of a message (empty,
 * too long, a blocked key) shows under the field, which keeps the draft.
 */
@Composable
fun DealChatSection(s: DealChatViewModel.State, canWrite: Boolean, on: DealActions) {
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(stringResource(R.string.chat_title), style = MaterialTheme.typography.titleMedium,
            modifier = Modifier.semantics { heading() })
        if (s.loaded && s.messages.isEmpty()) {
            Text(stringResource(R.string.chat_empty), color = MaterialTheme.colorScheme.onSurfaceVariant)
        }
        s.messages.forEach { ChatBubble(it) }
        if (canWrite) {
            OutlinedTextField(
                s.draft,
                on::editMessage,
                label = { Text(stringResource(R.string.chat_hint)) },
                isError = s.error != null,
                supportingText = s.error?.let { e -> { ErrorBanner(e) } },
                modifier = Modifier.fillMaxWidth(),
            )
            Box(Modifier.fillMaxWidth(), contentAlignment = Alignment.CenterEnd) {
                BusyButton(stringResource(R.string.chat_send), s.busy, on::send, Modifier.heightIn(min = 48.dp), enabled = s.draft.isNotEmpty())
            }
        } else {
            ErrorBanner(s.error)
        }
    }
}

@Composable
private fun ChatBubble(m: ChatMessageView) {
    val colors = MaterialTheme.colorScheme
    Box(Modifier.fillMaxWidth(), contentAlignment = if (m.fromMe) Alignment.CenterEnd else Alignment.CenterStart) {
        Card(
            Modifier.widthIn(max = 280.dp),
            colors = CardDefaults.cardColors(
                containerColor = if (m.fromMe) colors.primaryContainer else colors.surfaceContainerHighest,
                contentColor = if (m.fromMe) colors.onPrimaryContainer else colors.onSurface,
            ),
        ) {
            Column(Modifier.padding(horizontal = 12.dp, vertical = 8.dp)) {
                Text(stringResource(if (m.fromMe) R.string.chat_from_me else R.string.chat_from_them),
                    style = MaterialTheme.typography.labelMedium)
                Text(m.text, style = MaterialTheme.typography.bodyLarge)
            }
        }
    }
}

/** What the counterparty sent on this deal that the core did not accept, each with why. */
@Composable
fun RefusalsSection(refusals: List<RefusalView>) {
    Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Text(stringResource(R.string.refused_title), style = MaterialTheme.typography.titleSmall,
            modifier = Modifier.semantics { heading() })
        refusals.forEach { Text("• " + refusalCodeText(it.code), style = MaterialTheme.typography.bodyMedium) }
    }
}
