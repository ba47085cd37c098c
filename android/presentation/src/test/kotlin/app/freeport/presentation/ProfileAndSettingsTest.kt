package app.freeport.presentation

import app.freeport.core.PhoneStatus

import kotlinx.coroutines.runBlocking
import app.freeport.core.RelayListRole
import app.freeport.core.RelayUrlRule
import org.junit.jupiter.api.Test
import java.io.File
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
    fun `relay settings are the core's, every refusal is a core violation in place, erase asks twice`() = runBlocking<Unit> {
        val phone = Phone(relayUrl = null)
        phone.core.createIdentity()
        // The relay file an earlier version kept becomes the settings once (a bad line skipped).
        val legacy = File(phone.dir, "relays.txt")
        legacy.writeText("wss://one.example.com\nhttp://bad.example.com\n")
        val imported = phone.core.importRelayFile(legacy.path)
        assertTrue(imported.imported && imported.removed, "$imported")
        assertEquals(1u, imported.skipped)
        assertFalse(legacy.exists())

        val wiper = DataWiper {
            phone.dir.deleteRecursively()
            phone.secrets.clear()
        }
        val vm = SettingsViewModel(phone.core, wiper, phone.scope)
        vm.load().join()
        val one = listOf("wss://one.example.com")
        for (role in RelayListRole.entries) assertEquals(one, vm.state.value.list(role), "$role")
        assertEquals(phone.core.identity(), vm.state.value.identity)
        assertTrue(vm.state.value.coreVersion.isNotBlank())
        assertFalse(vm.state.value.relays!!.published, "nothing published offline")

        // Refused by the core's rules, shown under the field being typed in; nothing changes.
        vm.setDraft(RelayListRole.READ, "http://relay.example.com")
        vm.addRelay(RelayListRole.READ).join()
        assertEquals(RelayUrlRule.Scheme, vm.state.value.draftViolation(RelayListRole.READ)?.rule)
        assertEquals("http://relay.example.com", vm.state.value.drafts[RelayListRole.READ], "the field keeps it")
        vm.setDraft(RelayListRole.INBOX, "ws://relay.example.com")
        vm.addRelay(RelayListRole.INBOX).join()
        assertEquals(RelayUrlRule.PlainWs, vm.state.value.draftViolation(RelayListRole.INBOX)?.rule)
        assertNull(vm.state.value.draftViolation(RelayListRole.READ), "typing cleared only its own list")
        assertEquals(one, phone.core.relaySettings().read)
        assertEquals(one, phone.core.relaySettings().inbox)

        // Changes made back to back are applied in order, none lost; the field empties.
        vm.setDraft(RelayListRole.READ, " wss://two.example.com ")
        val first = vm.addRelay(RelayListRole.READ)
        vm.setDraft(RelayListRole.WRITE, "wss://w.example.com")
        val second = vm.addRelay(RelayListRole.WRITE)
        first.join()
        second.join()
        assertEquals(listOf("wss://one.example.com", "wss://two.example.com"), vm.state.value.list(RelayListRole.READ))
        assertEquals(listOf("wss://one.example.com", "wss://w.example.com"), vm.state.value.list(RelayListRole.WRITE))
        assertNull(vm.state.value.drafts[RelayListRole.READ])
        assertEquals(phone.core.relaySettings(), vm.state.value.relays)

        // The same relay in another spelling is a duplicate; emptying a list is refused.
        vm.setDraft(RelayListRole.READ, "wss://TWO.example.com/")
        vm.addRelay(RelayListRole.READ).join()
        assertEquals(RelayUrlRule.Duplicate, vm.state.value.draftViolation(RelayListRole.READ)?.rule)
        vm.removeRelay(RelayListRole.INBOX, "wss://one.example.com").join()
        assertEquals(RelayUrlRule.ListEmpty, vm.state.value.draftViolation(RelayListRole.INBOX)?.rule)
        assertEquals(one, vm.state.value.list(RelayListRole.INBOX))
        vm.removeRelay(RelayListRole.READ, "wss://one.example.com").join()
        assertEquals(listOf("wss://two.example.com"), vm.state.value.list(RelayListRole.READ))

        // Back to the defaults (the shipped relays, all TLS).
        vm.resetRelays().join()
        val defaults = vm.state.value.list(RelayListRole.READ)
        assertTrue(defaults.isNotEmpty() && defaults.all { it.startsWith("wss://") }, "$defaults")
        assertEquals(defaults, vm.state.value.list(RelayListRole.INBOX))

        // The privacy switch: private messages as NIP-17 gift wraps only; kept by the core.
        assertFalse(vm.state.value.requireNip17)
        vm.setRequireNip17(true).join()
        assertTrue(vm.state.value.requireNip17, "${vm.state.value.error}")
        assertTrue(phone.core.requireNip17())

        // Keys blocked elsewhere (a deal, a screening) are listed here and can be unblocked.
        val other = Phone(relayUrl = null)
        val otherKey = other.core.createIdentity().npub
        other.close()
        phone.core.block(otherKey)
        vm.load().join()
        assertEquals(listOf(otherKey), vm.state.value.blocked.map { it.npub })
        vm.unblock(vm.state.value.blocked.single().pubkey).join()
        assertTrue(vm.state.value.blocked.isEmpty(), "${vm.state.value.error}")
        assertTrue(phone.core.blocked().isEmpty())

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
