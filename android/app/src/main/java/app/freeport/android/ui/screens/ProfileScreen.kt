package app.freeport.android.ui.screens

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.text.selection.SelectionContainer
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
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
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.freeport.android.ui.ltr
import app.freeport.android.R
import app.freeport.android.ui.BusyButton
import app.freeport.android.ui.ErrorBanner
import app.freeport.android.ui.phoneStatusText
import app.freeport.android.ui.rememberScreenModel
import app.freeport.presentation.Core
import app.freeport.presentation.ProfileViewModel

/** What the profile screen can ask for; the route forwards each to [ProfileViewModel]. */
interface ProfileActions {
    fun setName(v: String) {}
    fun setAbout(v: String) {}
    fun setPhone(v: String) {}
    fun setVehicle(model: String, plate: String) {}
    fun setPublishFullNumber(on: Boolean) {}
    fun confirmWarning() {}
    fun save() {}
}

/** Name, phone (masked by default; full only after the permanence warning), vehicle, verification. */
@Composable
fun ProfileRoute(core: Core) {
    val vm = rememberScreenModel("profile") { ProfileViewModel(core, it) }
    val s by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { vm.load() }
    val actions = remember(vm) {
        object : ProfileActions {
            override fun setName(v: String) = vm.setName(v)
            override fun setAbout(v: String) = vm.setAbout(v)
            override fun setPhone(v: String) = vm.setPhone(v)
            override fun setVehicle(model: String, plate: String) = vm.setVehicle(model, plate)
            override fun setPublishFullNumber(on: Boolean) = vm.setPublishFullNumber(on)
            override fun confirmWarning() = vm.confirmWarning()
            override fun save() { vm.save() }
        }
    }
    ProfileScreen(s, actions)
}

@Composable
fun ProfileScreen(s: ProfileViewModel.State, vm: ProfileActions) {
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(stringResource(R.string.profile_title), style = MaterialTheme.typography.headlineSmall, modifier = Modifier.semantics { heading() })
        s.profile?.let { p ->
            Text(stringResource(R.string.profile_npub), style = MaterialTheme.typography.titleSmall)
            SelectionContainer { Text(p.npub, style = MaterialTheme.typography.bodySmall) }
        }
        s.profileCode?.let { png ->
            Text(stringResource(R.string.profile_code), style = MaterialTheme.typography.titleSmall)
            QrImage(png, stringResource(R.string.profile_code_desc))
        }
        OutlinedTextField(s.name, vm::setName, label = { Text(stringResource(R.string.profile_name)) }, singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(s.about, vm::setAbout, label = { Text(stringResource(R.string.profile_about)) }, minLines = 2, modifier = Modifier.fillMaxWidth())
        s.profile?.phonePublished?.let { Text(stringResource(R.string.profile_phone_published, ltr(it))) }
        OutlinedTextField(
            s.phone, vm::setPhone,
            label = { Text(stringResource(R.string.profile_phone)) },
            supportingText = { Text(stringResource(R.string.profile_phone_hint)) },
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone),
            singleLine = true, modifier = Modifier.fillMaxWidth(),
        )
        Row(
            Modifier.fillMaxWidth().heightIn(min = 48.dp)
                .toggleable(s.publishFullNumber, role = Role.Switch, onValueChange = vm::setPublishFullNumber),
            horizontalArrangement = Arrangement.spacedBy(12.dp),
            verticalAlignment = Alignment.CenterVertically,
        ) {
            Text(stringResource(R.string.profile_publish_full), modifier = Modifier.weight(1f))
            Switch(checked = s.publishFullNumber, onCheckedChange = null)
        }
        s.phoneStatus?.let { Text(stringResource(R.string.profile_verification, phoneStatusText(it))) }
        OutlinedTextField(s.vehicleModel, { vm.setVehicle(it, s.plate) }, label = { Text(stringResource(R.string.profile_vehicle)) },
            singleLine = true, modifier = Modifier.fillMaxWidth())
        OutlinedTextField(s.plate, { vm.setVehicle(s.vehicleModel, it) }, label = { Text(stringResource(R.string.profile_plate)) },
            singleLine = true, modifier = Modifier.fillMaxWidth())
        ErrorBanner(s.error)
        if (s.saved) Text(stringResource(R.string.profile_saved))
        BusyButton(stringResource(R.string.save), s.busy, { vm.save() }, Modifier.fillMaxWidth())
    }

    // The core's warning, verbatim, before the full number can be published.
    val warning = s.warning
    if (warning != null && !s.warningConfirmed) {
        AlertDialog(
            onDismissRequest = { vm.setPublishFullNumber(false) },
            title = { Text(stringResource(R.string.profile_warning_title)) },
            text = { Text(warning) },
            confirmButton = { TextButton(onClick = vm::confirmWarning) { Text(stringResource(R.string.profile_warning_confirm)) } },
            dismissButton = { TextButton(onClick = { vm.setPublishFullNumber(false) }) { Text(stringResource(R.string.cancel)) } },
        )
    }
}
