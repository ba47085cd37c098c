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
import app.freeport.core.ScreeningView
import app.freeport.presentation.DealState
import app.freeport.presentation.LocalError
import app.freeport.presentation.PhoneVerification
import app.freeport.presentation.UiError

/** The localised heading of an error, plus the core's sentence where it adds information. */
@Composable
fun errorText(e: UiError): String {
    if (e.kind == UiError.Kind.LOCAL) {
        return stringResource(
            when (e.detail) {
                LocalError.PASSPHRASE_MISMATCH -> R.string.error_passphrase_mismatch
                LocalError.PASSPHRASE_TOO_SHORT -> R.string.error_passphrase_too_short
                LocalError.NOT_A_NUMBER -> R.string.error_not_a_number
                LocalError.WARNING_NOT_CONFIRMED -> R.string.error_warning_not_confirmed
                else -> R.string.error_empty
            },
        )
    }
    val heading = stringResource(
        when (e.kind) {
            UiError.Kind.NO_IDENTITY -> R.string.error_no_identity
            UiError.Kind.OFFLINE -> R.string.error_offline
            UiError.Kind.NOT_FOUND -> R.string.error_not_found
            UiError.Kind.NOT_POSSIBLE -> R.string.error_not_possible
            UiError.Kind.INVALID_INPUT -> R.string.error_invalid_input
            UiError.Kind.INVALID_CODE -> R.string.error_invalid_code
            UiError.Kind.WRONG_PASSPHRASE -> R.string.error_wrong_passphrase
            UiError.Kind.PHONE -> R.string.error_phone
            UiError.Kind.STORAGE -> R.string.error_storage
            UiError.Kind.NETWORK -> R.string.error_network
            UiError.Kind.SECRET_STORE -> R.string.error_secret_store
            UiError.Kind.INTERNAL, UiError.Kind.LOCAL -> R.string.error_internal
        },
    )
    return if (e.kind in setOf(UiError.Kind.NO_IDENTITY, UiError.Kind.OFFLINE, UiError.Kind.WRONG_PASSPHRASE)) {
        heading
    } else {
        "$heading: ${e.detail}"
    }
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
fun VerdictChip(verdict: String) {
    if (verdict.isEmpty()) return
    val label = stringResource(
        when (verdict) {
            "trusted" -> R.string.verdict_trusted
            "caution" -> R.string.verdict_caution
            "warning" -> R.string.verdict_warning
            else -> R.string.verdict_unknown
        },
    )
    val desc = stringResource(R.string.verdict_desc, label)
    val colors = MaterialTheme.colorScheme
    val (container, content) = when (verdict) {
        "warning" -> colors.errorContainer to colors.onErrorContainer
        "caution" -> colors.tertiaryContainer to colors.onTertiaryContainer
        "trusted" -> colors.primaryContainer to colors.onPrimaryContainer
        else -> colors.surfaceVariant to colors.onSurfaceVariant
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
                Text(s.name ?: (s.subjectNpub.take(16) + "…"), style = MaterialTheme.typography.titleMedium, modifier = Modifier.weight(1f, fill = false))
                VerdictChip(s.verdict)
            }
            Text(pluralStringResource(R.plurals.card_deals, s.deals.toInt(), s.deals.toInt()))
            Text(stringResource(R.string.card_partners, s.partners.toInt(), s.partnersInNetwork.toInt()))
            Text(pluralStringResource(R.plurals.card_met, s.metInPerson.toInt(), s.metInPerson.toInt()))
            if (s.verifiedBy > 0u) {
                Text(pluralStringResource(R.plurals.card_verified_by, s.verifiedBy.toInt(), s.verifiedBy.toInt()))
            }
            if (s.newAccount) Text(stringResource(R.string.card_new_account), color = MaterialTheme.colorScheme.tertiary)
            Text(stringResource(R.string.card_safety, signal(s.safety.value, s.safety.flagged)))
            Text(stringResource(R.string.card_reliability, signal(s.reliability.value, s.reliability.flagged)))
            if (s.reasons.isNotEmpty()) {
                Text(stringResource(R.string.screen_reasons), style = MaterialTheme.typography.titleSmall)
                // The core's own short reasons (not yet localisable: see android/VERIFICATION.md).
                s.reasons.forEach { Text("• $it", style = MaterialTheme.typography.bodySmall) }
            }
        }
    }
}

@Composable
private fun signal(value: Double?, flagged: Boolean): String = when {
    flagged -> stringResource(R.string.card_flagged)
    value == null -> stringResource(R.string.card_no_signal)
    else -> "${(value * 100).toInt()} %"
}

/** A deal's state in words (the core's label is a wire value, not UI text). */
@Composable
fun dealStateText(label: String): String = when (DealState.of(label)) {
    DealState.OPEN -> stringResource(R.string.state_open)
    DealState.ACCEPTED_BY_US -> stringResource(R.string.state_accepted_by_us)
    DealState.ACCEPTED_BY_THEM -> stringResource(R.string.state_accepted_by_them)
    DealState.CONFIRMED -> stringResource(R.string.state_confirmed)
    DealState.CANCEL_REQUESTED -> stringResource(R.string.state_cancel_requested)
    DealState.MET -> stringResource(R.string.state_met)
    DealState.COMPLETED -> stringResource(R.string.state_completed)
    DealState.CANCELLED -> stringResource(R.string.state_cancelled)
    DealState.EXPIRED -> stringResource(R.string.state_expired)
    DealState.UNKNOWN -> label // a state a newer core added: its label beats nothing
}

/** How a published phone is verified, in words. */
@Composable
fun phoneVerificationText(v: PhoneVerification, verifiedBy: Int): String = when (v) {
    PhoneVerification.NONE -> stringResource(R.string.phone_none)
    PhoneVerification.NOT_VERIFIED -> stringResource(R.string.phone_not_verified)
    PhoneVerification.VERIFIED -> pluralStringResource(R.plurals.phone_verified_by, verifiedBy, verifiedBy)
}

/** "Status: …" line for a deal. */
@Composable
fun DealStateLine(label: String, modifier: Modifier = Modifier) {
    Text(stringResource(R.string.deal_state, dealStateText(label)), modifier = modifier)
}

/** The Activity behind a Compose context (LocalContext may be a ContextWrapper around it). */
tailrec fun Context.findActivity(): Activity? = when (this) {
    is Activity -> this
    is ContextWrapper -> baseContext.findActivity()
    else -> null
}

/** Keyboard options for a number field. */
val NumberKeyboard = KeyboardOptions(keyboardType = KeyboardType.Number)
