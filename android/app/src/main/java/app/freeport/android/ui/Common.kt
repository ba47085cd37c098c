package app.freeport.android.ui

import android.app.Activity
import android.content.Context
import android.content.ContextWrapper
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Visibility
import androidx.compose.material.icons.filled.VisibilityOff
import androidx.compose.material3.Button
import androidx.compose.material3.TextButton
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.clearAndSetSemantics
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.text.input.VisualTransformation
import androidx.compose.ui.unit.dp
import app.freeport.android.R
import app.freeport.core.DealState
import app.freeport.core.PhoneStatus
import app.freeport.core.ScreeningView
import app.freeport.core.Verdict
import app.freeport.presentation.LocalError
import app.freeport.presentation.UiError

/** An error in words: the core's code when it sent one, else the localised heading of its kind. */
@Composable
fun errorText(e: UiError): String {
    if (e.kind == UiError.Kind.LOCAL) {
        return stringResource(
            when (e.detail) {
                LocalError.WARNING_NOT_CONFIRMED -> R.string.error_warning_not_confirmed
                else -> R.string.error_empty
            },
        )
    }
    e.refusal?.let { return refusalText(it) }
    e.codeProblem?.let { return codeProblemText(it) }
    e.phoneProblem?.let { return phoneProblemText(it) }
    if (e.violations.isNotEmpty()) return violationsText(e.violations)
    if (e.relayViolations.isNotEmpty()) return e.relayViolations.map { relayRuleText(it.rule) }.distinct().joinToString("\n")
    val heading = stringResource(
        when (e.kind) {
            UiError.Kind.NO_IDENTITY -> R.string.error_no_identity
            UiError.Kind.OFFLINE -> R.string.error_offline
            UiError.Kind.NOT_FOUND -> R.string.error_not_found
            UiError.Kind.NOT_POSSIBLE -> R.string.error_not_possible
            UiError.Kind.INVALID_INPUT -> R.string.error_invalid_input
            UiError.Kind.INVALID_RELAYS -> R.string.error_invalid_relays
            UiError.Kind.INVALID_CODE -> R.string.error_invalid_code
            UiError.Kind.WRONG_PASSPHRASE -> R.string.error_wrong_passphrase
            UiError.Kind.PHONE -> R.string.error_phone
            UiError.Kind.STORAGE -> R.string.error_storage
            UiError.Kind.NETWORK -> R.string.error_network
            UiError.Kind.SECRET_STORE -> R.string.error_secret_store
            UiError.Kind.INTERNAL, UiError.Kind.LOCAL -> R.string.error_internal
        },
    )
    // The detail of a storage, network or internal failure is a diagnostic, not a message.
    return heading
}

/** An error line announced by TalkBack when it appears. */
@Composable
fun ErrorBanner(error: UiError?, modifier: Modifier = Modifier) {
    if (error == null) return
    Text(
        errorText(error),
        color = MaterialTheme.colorScheme.error,
        style = MaterialTheme.typography.bodyMedium,
        modifier = modifier.padding(vertical = 4.dp).semantics { liveRegion = LiveRegionMode.Assertive },
    )
}

/** A button that shows progress instead of accepting a second tap. */
@Composable
fun BusyButton(text: String, busy: Boolean, onClick: () -> Unit, modifier: Modifier = Modifier, enabled: Boolean = true) {
    Button(onClick = onClick, enabled = enabled && !busy, modifier = modifier) {
        if (busy) {
            CircularProgressIndicator(modifier = Modifier.padding(end = 8.dp), strokeWidth = 2.dp)
        }
        Text(text)
    }
}

/** A passphrase input with a show/hide toggle. */
@Composable
fun PassphraseField(value: String, onChange: (String) -> Unit, label: String, modifier: Modifier = Modifier) {
    var visible by rememberSaveable { mutableStateOf(false) }
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        singleLine = true,
        visualTransformation = if (visible) VisualTransformation.None else PasswordVisualTransformation(),
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
        trailingIcon = {
            IconButton(onClick = { visible = !visible }) {
                Icon(
                    if (visible) Icons.Filled.VisibilityOff else Icons.Filled.Visibility,
                    contentDescription = stringResource(if (visible) R.string.hide_passphrase else R.string.show_passphrase),
                )
            }
        },
        modifier = modifier.fillMaxWidth(),
    )
}

/**
 * The verdict as a badge with a spoken label. Not a chip: it does nothing when tapped, so
 * TalkBack must not announce it as a button.
 */
@Composable
fun VerdictChip(verdict: Verdict?) {
    if (verdict == null) return
    val label = stringResource(
        when (verdict) {
            Verdict.TRUSTED -> R.string.verdict_trusted
            Verdict.CAUTION -> R.string.verdict_caution
            Verdict.WARNING -> R.string.verdict_warning
            Verdict.UNKNOWN -> R.string.verdict_unknown
        },
    )
    val desc = stringResource(R.string.verdict_desc, label)
    val colors = MaterialTheme.colorScheme
    val (container, content) = when (verdict) {
        Verdict.WARNING -> colors.errorContainer to colors.onErrorContainer
        Verdict.CAUTION -> colors.tertiaryContainer to colors.onTertiaryContainer
        Verdict.TRUSTED -> colors.primaryContainer to colors.onPrimaryContainer
        Verdict.UNKNOWN -> colors.surfaceVariant to colors.onSurfaceVariant
    }
    Surface(
        color = container,
        contentColor = content,
        shape = MaterialTheme.shapes.small,
        modifier = Modifier.clearAndSetSemantics { contentDescription = desc },
    ) {
        Text(label, style = MaterialTheme.typography.labelLarge, modifier = Modifier.padding(horizontal = 8.dp, vertical = 4.dp))
    }
}

/** The pre-meetup screening card: verdict, counts, signals, reasons. */
@Composable
fun ScreeningCard(s: ScreeningView, modifier: Modifier = Modifier) {
    Card(modifier = modifier.fillMaxWidth(), colors = CardDefaults.cardColors()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                Text(s.name ?: shortKey(s.subjectNpub), style = MaterialTheme.typography.titleMedium, modifier = Modifier.weight(1f, fill = false))
                VerdictChip(s.verdict)
            }
            Text(pluralStringResource(R.plurals.card_deals, s.deals.toInt(), s.deals.toInt()))
            Text(pluralStringResource(R.plurals.card_partners, s.partners.toInt(), s.partners.toInt(), s.partnersInNetwork.toInt()))
            Text(pluralStringResource(R.plurals.card_met, s.metInPerson.toInt(), s.metInPerson.toInt()))
            if (s.verifiedBy > 0u) {
                Text(pluralStringResource(R.plurals.card_verified_by, s.verifiedBy.toInt(), s.verifiedBy.toInt()))
            }
            if (s.newAccount) Text(stringResource(R.string.card_new_account), color = MaterialTheme.colorScheme.tertiary)
            Text(stringResource(R.string.card_safety, signal(s.safety.value, s.safety.flagged)))
            Text(stringResource(R.string.card_reliability, signal(s.reliability.value, s.reliability.flagged)))
            if (s.reasons.isNotEmpty()) {
                Text(stringResource(R.string.screen_reasons), style = MaterialTheme.typography.titleSmall)
                s.reasons.forEach { Text("• ${reasonText(it)}", style = MaterialTheme.typography.bodySmall) }
            }
        }
    }
}

@Composable
private fun signal(value: Double?, flagged: Boolean): String = when {
    flagged -> stringResource(R.string.card_flagged)
    value == null -> stringResource(R.string.card_no_signal)
    else -> percentText(value)
}

/** A deal's state in words. */
@Composable
fun dealStateText(state: DealState): String = when (state) {
    DealState.OPEN -> stringResource(R.string.state_open)
    DealState.ACCEPTED_BY_US -> stringResource(R.string.state_accepted_by_us)
    DealState.ACCEPTED_BY_THEM -> stringResource(R.string.state_accepted_by_them)
    DealState.CONFIRMED -> stringResource(R.string.state_confirmed)
    DealState.CANCEL_REQUESTED_BY_US -> stringResource(R.string.state_cancel_requested_by_us)
    DealState.CANCEL_REQUESTED_BY_THEM -> stringResource(R.string.state_cancel_requested_by_them)
    DealState.MET -> stringResource(R.string.state_met)
    DealState.COMPLETED -> stringResource(R.string.state_completed)
    DealState.CANCELLED -> stringResource(R.string.state_cancelled)
    DealState.EXPIRED -> stringResource(R.string.state_expired)
}

/** How a published phone stands, in words. */
@Composable
fun phoneStatusText(p: PhoneStatus): String = when (p) {
    PhoneStatus.NotPublished -> stringResource(R.string.phone_none)
    PhoneStatus.NotVerified -> stringResource(R.string.phone_not_verified)
    is PhoneStatus.VerifiedBy -> pluralStringResource(R.plurals.phone_verified_by, p.count.toInt(), p.count.toInt())
}

/** "Status: …" line for a deal. */
@Composable
fun DealStateLine(state: DealState, modifier: Modifier = Modifier) {
    Text(stringResource(R.string.deal_state, dealStateText(state)), modifier = modifier)
}

/** The Activity behind a Compose context (LocalContext may be a ContextWrapper around it). */
tailrec fun Context.findActivity(): Activity? = when (this) {
    is Activity -> this
    is ContextWrapper -> baseContext.findActivity()
    else -> null
}

/** Keyboard options for a number field. */
val NumberKeyboard = KeyboardOptions(keyboardType = KeyboardType.Number)

/**
 * "Block Bob?" — asked before blocking from a quote card, a deal or a screening card: blocking
 * hides their quotes and drops what they send, silently, so it is never one stray tap.
 * Unblocking needs no question.
 */
@Composable
fun BlockDialog(who: String, onBlock: () -> Unit, onDismiss: () -> Unit) {
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.quotes_block_title, who)) },
        text = { Text(stringResource(R.string.quotes_block_body)) },
        confirmButton = {
            TextButton(
                onClick = onBlock,
                colors = ButtonDefaults.textButtonColors(contentColor = MaterialTheme.colorScheme.error),
            ) { Text(stringResource(R.string.block_them)) }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}
