package app.freeport.android.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.LocalContentColor
import androidx.compose.material3.LocalTextStyle
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.unit.dp
import app.freeport.android.R
import app.freeport.core.TermValue
import app.freeport.core.TermView

/*
 * The core's typed terms (IntentView.terms, DealView.terms) in the user's language: amounts as
 * money in the locale's currency format, numbers in its digits, dates as its date ranges, options
 * by their market label. The labels are the market's, in the user's language for the markets we
 * ship (the core localizes them, `App.setLocales`); the one kind without a form field, the time
 * window, takes the app's own "When".
 */

/** A term's label: the market's, or the app's "When" for a time window. */
@Composable
fun termLabel(t: TermView): String =
    if (t.value is TermValue.Window) stringResource(R.string.term_when) else t.label

/** A term's value as the user reads it. */
@Composable
fun termValueText(v: TermValue): String = when (v) {
    is TermValue.Text -> v.text
    is TermValue.Number -> numberFormatter()(v.value)
    is TermValue.Money -> moneyText(v.amount, v.currency)
    is TermValue.Choice -> v.label
    is TermValue.Place -> v.name.ifEmpty { v.geohash?.let { ltr(it) }.orEmpty() }
    is TermValue.Items -> v.items.joinToString(", ")
    is TermValue.Window -> windowText(v.start.toLong(), v.end.toLong())
    is TermValue.Flag -> stringResource(if (v.value) R.string.yes else R.string.no)
}

/** "Price: SGD 1,200" — one term as a line. */
@Composable
fun termLine(t: TermView): String = stringResource(R.string.deal_term, termLabel(t), termValueText(t.value))

/** One line per term, at most [max]. */
@Composable
fun TermLines(terms: List<TermView>, style: TextStyle = LocalTextStyle.current, max: Int = Int.MAX_VALUE) {
    terms.take(max).forEach { Text(termLine(it), style = style) }
}

/**
 * An intent's time window as a line ("When: Sat, 30 May, 09:00 – 10:00 · ±15 minutes"), or
 * nothing when it has none.
 */
@Composable
fun WindowLine(start: ULong?, end: ULong?, flexMinutes: UInt?, style: TextStyle = LocalTextStyle.current, color: Color = LocalContentColor.current) {
    if (start == null || end == null) return
    var text = stringResource(R.string.deal_term, stringResource(R.string.term_when), windowText(start.toLong(), end.toLong()))
    if (flexMinutes != null && flexMinutes > 0u) {
        text += " · " + pluralStringResource(R.plurals.post_flex_minutes, flexMinutes.toInt(), flexMinutes.toInt())
    }
    Text(text, style = style, color = color)
}

/**
 * One term as a counter-offer edits it: a select's options as chips (labels in the user's
 * language, the payload's value behind each), any other term as its text. [onTable] is the
 * value on the table, kept in sight once edited ("On the table: …"): accepting takes that one.
 */
@OptIn(ExperimentalLayoutApi::class)
@Composable
fun TermEditor(t: TermView, value: String, onChange: (String) -> Unit, onTable: String? = null, modifier: Modifier = Modifier.fillMaxWidth()) {
    val edited = onTable != null && value != t.editText
    if (t.options.isNotEmpty()) {
        Column(modifier, verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text(termLabel(t), style = MaterialTheme.typography.bodySmall)
            FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                t.options.forEach { o -> FilterChip(value == o.value, { onChange(o.value) }, { Text(o.label) }) }
            }
            if (edited) Text(stringResource(R.string.deal_on_the_table, onTable.orEmpty()), style = MaterialTheme.typography.bodySmall)
        }
    } else {
        OutlinedTextField(
            value,
            onChange,
            label = { Text(termLabel(t)) },
            singleLine = true,
            supportingText = if (edited) {
                { Text(stringResource(R.string.deal_on_the_table, onTable.orEmpty())) }
            } else {
                null
            },
            modifier = modifier,
        )
    }
}
