package app.freeport.presentation

import app.freeport.core.PhoneStatus

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class ProfileAndSettingsTest {

    @Test
    fun `phone is published masked by default and an unparseable number is refused`() = runBlocking<Unit> {
        Phone(relayUrl = null).use { phone ->
            phone.core.createIdentity()
            val vm = ProfileViewModel(phone.core, phone.scope)
            vm.load().join()
            assertNotNull(vm.state.value.profile, "${vm.state.value.error}")
            assertEquals(PhoneStatus.NotPublished, vm.state.value.phoneStatus, "no phone published yet")
            // The profile code others scan reads back as this phone's key.
            val png = assertNotNull(vm.state.value.profileCode)
            val img = javax.imageio.ImageIO.read(java.io.ByteArrayInputStream(png))
            val gray = java.awt.image.BufferedImage(img.width, img.height, java.awt.image.BufferedImage.TYPE_BYTE_GRAY)
            gray.graphics.drawImage(img, 0, 0, null)
            val luma = ByteArray(img.width * img.height) { i -> gray.raster.getSample(i % img.width, i / img.width, 0).toByte() }
            assertEquals(
                "nostr:${phone.core.identity()!!.npub}",
                phone.core.decodeQrFrame(img.width, img.height, img.width, luma),
            )

            vm.setName("Dana")
            vm.setPhone("+65 9876 5432")
            vm.save()!!.join()
            val masked = assertNotNull(vm.state.value.profile, "${vm.state.value.error}")
            assertEquals("Dana", masked.name)
            val published = assertNotNull(masked.phonePublished)
            assertFalse(masked.phoneIsFull)
            assertFalse(published.contains("9876"), "masked by default: $published")
            assertTrue(published.endsWith("32") || published.contains("5432"), published)
            assertEquals("", vm.state.value.phone, "the typed number is not kept on screen")
            // After process death the screen loads again from the store: the published phone is
            // there, and nobody has attested reaching it yet.
            val reloaded = ProfileViewModel(phone.core, phone.scope)
            reloaded.load().join()
            assertEquals(masked.phonePublished, reloaded.state.value.profile?.phonePublished)
            assertEquals(PhoneStatus.NotVerified, reloaded.state.value.phoneStatus, "${reloaded.state.value}")

            // A number the core cannot parse.
            vm.setPhone("12")
            vm.save()!!.join()
            val e = assertNotNull(vm.state.value.error)
            assertTrue(e.kind == UiError.Kind.PHONE || e.kind == UiError.Kind.INVALID_INPUT, "$e")
        }
    }

    @Test
    fun `publishing the full number needs the core's warning shown and confirmed`() = runBlocking<Unit> {
        // A fresh phone: its first profile event (two profile saves in one second would share a
        // created_at, and which one is "latest" is then up to the core's tie-break).
        Phone(relayUrl = null).use { phone ->
            phone.core.createIdentity()
            val vm = ProfileViewModel(phone.core, phone.scope)
            vm.load().join()
            vm.setName("Eve")
            vm.setPublishFullNumber(true)
            assertEquals(phone.core.fullNumberWarning(), vm.state.value.warning)
            assertFalse(vm.state.value.warningConfirmed)
            vm.setPhone("+65 9876 5432")
            assertNull(vm.save(), "not without confirming the warning")
            assertEquals(LocalError.WARNING_NOT_CONFIRMED, vm.state.value.error?.detail)
            assertNull(vm.state.value.profile?.phonePublished, "nothing was published")
            vm.confirmWarning()
            vm.save()!!.join()
            val full = assertNotNull(vm.state.value.profile)
            assertTrue(full.phoneIsFull, "$full ${vm.state.value.error}")
            assertTrue(full.phonePublished.orEmpty().replace(" ", "").contains("98765432"), "${full.phonePublished}")

            // Turning the switch off forgets the confirmation.
            vm.setPublishFullNumber(false)
            assertNull(vm.state.value.warning)
            assertFalse(vm.state.value.warningConfirmed)
        }
    }

    @Test
    fun `relay list is validated and persisted, erase asks twice and leaves no identity`() = runBlocking<Unit> {
        val phone = Phone(relayUrl = null)
        phone.core.createIdentity()
        val settingsFile = File(Files.createTempDirectory("settings").toFile(), "relays.txt")
        val relays = FileRelaySettings(settingsFile)
        val wiper = DataWiper {
            phone.dir.deleteRecursively()
            phone.secrets.clear()
        }
        val vm = SettingsViewModel(phone.core, relays, wiper, phone.scope)
        vm.load(listOf("wss://default.example")).join()
        assertEquals(listOf("wss://default.example"), vm.state.value.relays)
        assertEquals(phone.core.identity(), vm.state.value.identity)

        assertTrue(vm.state.value.coreVersion.isNotBlank())

        assertNull(vm.addRelay("http://relay.example"))
        assertEquals(LocalError.RELAY_URL, vm.state.value.error?.detail)
        assertNull(vm.addRelay("ws://relay.example"), "plain ws only for localhost")
        assertFalse(settingsFile.exists(), "a refused URL writes nothing")
        // Changes made back to back are applied in order, none lost.
        val first = assertNotNull(vm.addRelay("ws://127.0.0.1:7777"))
        val second = assertNotNull(vm.addRelay(" wss://relay.example "))
        first.join()
        second.join()
        assertTrue(vm.state.value.restartNeeded)
        assertEquals(listOf("wss://default.example", "ws://127.0.0.1:7777", "wss://relay.example"), FileRelaySettings(settingsFile).load())
        assertNotNull(vm.addRelay("wss://relay.example")).join()
        assertEquals(3, vm.state.value.relays.size, "a relay already listed is not added twice")
        vm.removeRelay("ws://127.0.0.1:7777").join()
        assertEquals(listOf("wss://default.example", "wss://relay.example"), FileRelaySettings(settingsFile).load())
        assertEquals(FileRelaySettings(settingsFile).load(), vm.state.value.relays)

        assertNull(vm.wipe(), "the first tap only asks")
        assertTrue(vm.state.value.confirmWipe)
        assertTrue(phone.core.hasIdentity())
        vm.cancelWipe()
        assertNull(vm.wipe())
        vm.wipe()!!.join()
        assertTrue(vm.state.value.wiped, "${vm.state.value.error}")
        assertEquals(0, phone.secrets.size())
        phone.close()

        Phone(relayUrl = null, dir = phone.dir, secrets = phone.secrets).use { reopened ->
            assertFalse(reopened.core.hasIdentity())
        }
    }
}
