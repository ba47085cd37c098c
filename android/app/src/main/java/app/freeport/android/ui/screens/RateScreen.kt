package app.freeport.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Checkbox
import androidx.compose.material3.FilterChip
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.R
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.rememberScreenModel
import app.freeport.android.ui.signedText
import app.freeport.presentation.Core
import app.freeport.presentation.RateViewModel

/** Two yes/no questions, an optional score, and "I reached them at their number". No free text. */
@OptIn(ExperimentalLayoutApi::class) // FlowRow (opt-in kept for older foundation-layout versions)
@Composable
fun RateRoute(core: Core, nego: String, onDone: () -> Unit) {
    val vm = rememberScreenModel("rate-$nego") { RateViewModel(core, nego, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { vm.load() }
    val actions = remember(vm) {
        object : RateActions {
            override fun setSafe(v: Boolean) = vm.setSafe(v)
            override fun setReliable(v: Boolean) = vm.setReliable(v)
            override fun setScore(v: Int?) = vm.setScore(v)
            override fun setReachedNumber(v: Boolean) = vm.setReachedNumber(v)
            override fun submit() { vm.submit() }
            override fun done() = onDone()
        }
    }
    RateScreen(s, actions)
}

/** What the rating screen can ask for; the route forwards each to [RateViewModel]. */
interface RateActions {
    fun setSafe(v: Boolean) {}
    fun setReliable(v: Boolean) {}
    fun setScore(v: Int?) {}
    fun setReachedNumber(v: Boolean) {}
    fun submit() {}
    fun done() {}
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun RateScreen(s: RateViewModel.State, vm: RateActions) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.rate_title), style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() })
        if (s.done) {
            Text(stringResource(R.string.rate_done))
            BusyButton(stringResource(R.string.done), false, vm::done)
            return@Column
        }
        YesNo(stringResource(R.string.rate_safe), s.safe, vm::setSafe)
        YesNo(stringResource(R.string.rate_reliable), s.reliable, vm::setReliable)
        Text(stringResource(R.string.rate_score))
        FlowRow(Modifier.selectableGroup(), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            (RateViewModel.MIN_SCORE..RateViewModel.MAX_SCORE).forEach { v ->
                FilterChip(s.score == v, { vm.setScore(if (s.score == v) null else v) }, { Text(signedText(v)) })
            }
        }
        if (s.canAttestNumber) {
            Row(
                Modifier.fillMaxWidth().heightIn(min = 48.dp)
                    .toggleable(s.reachedNumber, role = Role.Checkbox, onValueChange = vm::setReachedNumber),
                horizontalArrangement = Arrangement.spacedBy(8.dp),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                Checkbox(checked = s.reachedNumber, onCheckedChange = null)
                Text(stringResource(R.string.rate_reached), modifier = Modifier.weight(1f))
            }
        }
        ErrorBanner(s.error)
        BusyButton(stringResource(R.string.rate_submit), s.busy, { vm.submit() }, Modifier.fillMaxWidth())
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun YesNo(question: String, value: Boolean?, onChange: (Boolean) -> Unit) {
    Text(question, style = MaterialTheme.typography.titleMedium)
    FlowRow(Modifier.selectableGroup(), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
        FilterChip(value == true, { onChange(true) }, { Text(stringResource(R.string.yes)) })
        FilterChip(value == false, { onChange(false) }, { Text(stringResource(R.string.no)) })
    }
}
