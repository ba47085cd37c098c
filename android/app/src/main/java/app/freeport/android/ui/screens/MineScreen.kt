package app.freeport.android.ui.screens

import app.freeport.android.ui.BlockDialog
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.foundation.lazy.LazyRow
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.ui.shortKey
import app.freeport.android.R
import app.freeport.android.ui.DealStateLine
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.ScreeningCard
import app.freeport.android.ui.rememberScreenModel
import app.freeport.android.ui.actionText
import app.freeport.android.ui.stageText
import app.freeport.android.ui.TermLines
import app.freeport.android.ui.WindowLine
import app.freeport.android.ui.relativeTimeText
import app.freeport.core.DealAction
import app.freeport.core.IntentAction
import androidx.compose.ui.res.pluralStringResource
import app.freeport.core.DealView
import app.freeport.core.QuoteView
import app.freeport.presentation.Core
import app.freeport.presentation.MyIntentsViewModel
import app.freeport.presentation.QuotesViewModel

/** My posts (→ quotes) and my deals (→ thread). */
@Composable
fun MineRoute(core: Core, onQuotes: (String) -> Unit, onDeal: (String) -> Unit) {
    val vm = rememberScreenModel("mine") { MyIntentsViewModel(core, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { vm.load() }
    DisposableEffect(Unit) {
        val watching = vm.watch()
        onDispose { watching.cancel() }
    }
    MineScreen(s, onQuotes = onQuotes, onDeal = onDeal, onWithdraw = { vm.withdraw(it) })
}

@Composable
fun MineScreen(s: MyIntentsViewModel.State, onQuotes: (String) -> Unit, onDeal: (String) -> Unit, onWithdraw: (String) -> Unit) {
    LazyColumn(Modifier.fillMaxSize(), contentPadding = PaddingValues(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        item { ErrorBanner(s.error) }
        if (s.intents.isEmpty() && s.deals.isEmpty() && !s.loading) item { Text(stringResource(R.string.mine_empty)) }
        item { Text(stringResource(R.string.mine_intents), style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() }) }
        items(s.intents, key = { it.id }) { i ->
            Card(Modifier.fillMaxWidth()) {
                Column(Modifier.padding(12.dp)) {
                    Text(i.title, style = MaterialTheme.typography.titleMedium)
                    WindowLine(i.windowStart, i.windowEnd, i.flexMinutes, MaterialTheme.typography.bodySmall)
                    Text(stringResource(R.string.intent_expires, relativeTimeText(i.expiresAt.toLong())), style = MaterialTheme.typography.bodySmall,
                        color = MaterialTheme.colorScheme.onSurfaceVariant)
                    Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        TextButton(onClick = { onQuotes(i.id) }) { Text(stringResource(R.string.mine_quotes)) }
                        if (IntentAction.WITHDRAW in i.actions) TextButton(onClick = { onWithdraw(i.id) }) { Text(stringResource(R.string.mine_withdraw)) }
                    }
                }
            }
        }
        item { Text(stringResource(R.string.mine_deals), style = MaterialTheme.typography.titleLarge, modifier = Modifier.semantics { heading() }) }
        items(s.deals, key = { it.nego }) { d -> DealRow(d) { onDeal(d.nego) } }
    }
}

@Composable
private fun DealRow(d: DealView, onClick: () -> Unit) {
    Card(Modifier.fillMaxWidth().clickable(onClick = onClick)) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(2.dp)) {
            Text(d.intentTitle, style = MaterialTheme.typography.titleMedium)
            DealStateLine(d.state)
            d.stage?.let { Text(stringResource(R.string.deal_stage, stageText(it))) }
            if (d.unread > 0u) {
                Text(
                    pluralStringResource(R.plurals.chat_unread, d.unread.toInt(), d.unread.toInt()),
                    style = MaterialTheme.typography.labelLarge,
                    color = MaterialTheme.colorScheme.primary,
                )
            }
        }
    }
}

/** Quotes side by side, each with the responder's screening card; pick one. */
@Composable
fun QuotesRoute(core: Core, intentId: String, onDeal: (String) -> Unit) {
    val vm = rememberScreenModel("quotes-$intentId") { QuotesViewModel(core, intentId, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { vm.load() }
    DisposableEffect(Unit) {
        val watching = vm.watch()
        onDispose { watching.cancel() }
    }
    // Navigate once: the model forgets the pick, so coming back here does not bounce forward again.
    LaunchedEffect(s.picked) { s.picked?.let { vm.pickedShown(); onDeal(it.nego) } }
    QuotesScreen(s, onPick = { vm.pick(it) }, onDeal = onDeal, onBlock = { vm.block(it) })
}

/**
 * One card per quote, side by side (scroll sideways): the responder's screening card first,
 * then their terms and the pick button. A card is narrower than the screen so the next one
 * peeks in and the user sees there is more to compare. Each card can block its responder, after
 * a confirmation; the core then leaves their quotes out.
 */
@OptIn(ExperimentalLayoutApi::class) // FlowRow
@Composable
fun QuotesScreen(s: QuotesViewModel.State, onPick: (String) -> Unit, onDeal: (String) -> Unit, onBlock: (String) -> Unit = {}) {
    var blocking by remember { mutableStateOf<QuoteView?>(null) }
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(vertical = 16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(s.intent?.title ?: stringResource(R.string.quotes_title), style = MaterialTheme.typography.headlineSmall,
            modifier = Modifier.padding(horizontal = 16.dp).semantics { heading() })
        ErrorBanner(s.error, Modifier.padding(horizontal = 16.dp))
        if (s.quotes.isEmpty()) Text(stringResource(R.string.quotes_empty), Modifier.padding(horizontal = 16.dp))
        LazyRow(contentPadding = PaddingValues(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(12.dp)) {
            items(s.quotes, key = { it.deal.nego }) { q ->
                Column(Modifier.width(280.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    ScreeningCard(q.screening)
                    DealStateLine(q.deal.state)
                    TermLines(q.deal.terms, MaterialTheme.typography.bodyMedium)
                    // Only a quote the core offers to pick gets the button.
                    if (q.deal.nego in s.pickable) {
                        BusyButton(actionText(DealAction.PICK), s.busy, { onPick(q.deal.nego) }, modifier = Modifier.fillMaxWidth())
                    }
                    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        TextButton(onClick = { onDeal(q.deal.nego) }) { Text(stringResource(R.string.quotes_open_thread)) }
                        // Blocking is the user's own choice about a key, possible at any time (as
                        // on the deal screen and a screening card).
                        TextButton(
                            onClick = { blocking = q },
                            enabled = !s.busy,
                            colors = ButtonDefaults.textButtonColors(contentColor = MaterialTheme.colorScheme.error),
                        ) { Text(stringResource(R.string.block_them)) }
                    }
                }
            }
        }
    }
    blocking?.let { q ->
        val who = q.screening.name ?: shortKey(q.screening.subjectNpub)
        BlockDialog(who, onBlock = { blocking = null; onBlock(q.deal.nego) }, onDismiss = { blocking = null })
    }
}
