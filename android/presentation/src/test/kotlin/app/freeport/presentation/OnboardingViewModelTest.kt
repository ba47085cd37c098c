package app.freeport.presentation

import app.freeport.core.FieldViolation
import app.freeport.core.Rule
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class OnboardingViewModelTest {

    @Test
    fun `fresh phone offers create, then the backup prompt, and a backup restores the same key elsewhere`() = runBlocking<Unit> {
        Phone(relayUrl = null).use { phone ->
            val vm = OnboardingViewModel(phone.core, phone.scope)
            vm.load().join()
            assertEquals(OnboardingViewModel.Step.WELCOME, vm.state.value.step)
            assertNull(vm.state.value.identity)

            vm.create().join()
            val s = vm.state.value
            assertEquals(OnboardingViewModel.Step.BACKUP, s.step)
            val id = assertNotNull(s.identity)
            assertTrue(id.npub.startsWith("npub1"))
            assertTrue(phone.core.hasIdentity())

            // The core's passphrase rule, live while typing and again on export.
            vm.checkPassphrase("short", "shor")
            assertEquals(
                listOf(FieldViolation("passphrase", Rule.TooShort(8u)), FieldViolation("confirmation", Rule.Mismatch)),
                vm.state.value.passphraseViolations,
            )
            vm.checkPassphrase("correct horse battery", "correct horse battery")
            assertTrue(vm.state.value.passphraseViolations.isEmpty())
            assertNull(vm.exportBackup("short", "short"))
            assertEquals(listOf(Rule.TooShort(8u)), vm.state.value.error?.rulesOn("passphrase"))
            assertNull(vm.exportBackup("correct horse battery", "correct horse battery!"))
            assertEquals(listOf(Rule.Mismatch), vm.state.value.error?.rulesOn("confirmation"))
            assertNull(vm.state.value.backup)
            // The core refuses a short passphrase itself, whatever a screen does.
            val refused = runCatching { phone.core.exportBackup("1234567") }.exceptionOrNull()?.toUiError()
            assertEquals(listOf(Rule.TooShort(8u)), refused?.rulesOn("passphrase"))

            assertNotNull(vm.exportBackup("correct horse battery", "correct horse battery")).join()
            val backup = assertNotNull(vm.state.value.backup, "error: ${vm.state.value.error}")
            assertTrue(backup.startsWith("ncryptsec1"), backup)
            vm.finishBackup()
            assertEquals(OnboardingViewModel.Step.DONE, vm.state.value.step)

            Phone(relayUrl = null).use { other ->
                val restore = OnboardingViewModel(other.core, other.scope)
                restore.load().join()
                restore.showRestore()
                restore.restore(backup, "wrong passphrase").join()
                assertEquals(UiError.Kind.WRONG_PASSPHRASE, restore.state.value.error?.kind, "${restore.state.value.error}")
                assertEquals(OnboardingViewModel.Step.RESTORE, restore.state.value.step)
                assertFalse(other.core.hasIdentity(), "a wrong passphrase must change nothing")

                restore.restore("  $backup\n", "correct horse battery").join()
                assertEquals(OnboardingViewModel.Step.DONE, restore.state.value.step, "${restore.state.value.error}")
                assertEquals(id.npub, restore.state.value.identity?.npub)
            }
        }
    }

    @Test
    fun `after process death the identity comes back from the store and onboarding is skipped`() = runBlocking<Unit> {
        val first = Phone(relayUrl = null)
        val created = first.core.createIdentity()
        first.close()
        // Same data directory and secret store: what a restarted Android process sees.
        Phone(relayUrl = null, dir = first.dir, secrets = first.secrets).use { again ->
            val vm = OnboardingViewModel(again.core, again.scope)
            vm.load().join()
            assertEquals(OnboardingViewModel.Step.DONE, vm.state.value.step)
            assertEquals(created.pubkey, vm.state.value.identity?.pubkey)
        }
    }

    @Test
    fun `restoring garbage is refused with a typed error and no identity`() = runBlocking<Unit> {
        Phone(relayUrl = null).use { phone ->
            val vm = OnboardingViewModel(phone.core, phone.scope)
            vm.showRestore()
            vm.restore("ncryptsec1notreally", "whatever passphrase").join()
            val e = assertNotNull(vm.state.value.error)
            assertEquals(UiError.Kind.INVALID_INPUT, e.kind, "$e")
            assertEquals("ncryptsec", e.field)
            assertFalse(phone.core.hasIdentity())
            assertEquals(OnboardingViewModel.Step.RESTORE, vm.state.value.step)
        }
    }
}
