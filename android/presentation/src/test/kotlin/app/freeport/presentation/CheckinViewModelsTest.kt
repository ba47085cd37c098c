package app.freeport.presentation

import app.freeport.core.CheckinAction
import app.freeport.core.CheckinDelivery
import app.freeport.core.CheckinState
import app.freeport.core.NoticeKind
import app.freeport.core.Refusal
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * Meetup check-ins through the view models, over the real core on an embedded relay with three
 * phones: Alice (who meets), Bob (the counterparty), Carol (Alice's trusted contact).
 */
class CheckinViewModelsTest {
    private fun nowSecs(): Long = System.currentTimeMillis() / 1000

    @Test
    fun `a check-in is shared from the deal screen, closed by the duress PIN, and alarms only the contact`() =
        runBlocking<Unit> {
            Market.open().use { m ->
                Phone(Relay.url).onboard("Carol").use { carol ->
                    val nego = m.confirmedDeal("Check in with Carol")
                    val alice = FfiCheckinCore(m.alice.app)
                    val carolCore = FfiCheckinCore(carol.app)
                    val aliceKey = checkNotNull(m.alice.app.identity()).pubkey
                    val carolNpub = checkNotNull(carol.app.identity()).npub
                    val bobKey = checkNotNull(m.bob.app.identity()).pubkey

                    // No contact yet: the deal screen offers no share, and says why.
                    val screen = DealCheckinViewModel(alice, nego, m.alice.scope)
                    screen.load().join()
                    assertTrue(screen.state.value.actions.isEmpty())
                    assertEquals(Refusal.NoTrustedContacts, screen.state.value.view?.shareRefusal)

                    // Contacts: Alice adds Carol by her npub, Carol adds Alice.
                    val contacts = TrustedContactsViewModel(alice, m.alice.scope)
                    contacts.editKey(carolNpub)
                    contacts.editLabel("Carol")
                    contacts.add().join()
                    assertNull(contacts.state.value.error)
                    assertEquals(listOf("Carol"), contacts.state.value.contacts.map { it.label })
                    carolCore.addTrustedContact(aliceKey, null)
                    // Her own key is refused by the core, nothing added.
                    contacts.editKey(aliceKey)
                    contacts.add().join()
                    assertEquals(UiError.Kind.INVALID_INPUT, contacts.state.value.error?.kind)
                    assertEquals(1, contacts.state.value.contacts.size)

                    // Carol's phone follows the check-ins shared with her.
                    val carolList = CheckinsViewModel(carolCore, carol.scope)
                    val carolWatch = carolList.watch()

                    screen.load().join()
                    assertEquals(listOf(CheckinAction.SHARE), screen.state.value.actions)
                    // A deadline too soon is the core's refusal, on its field.
                    screen.chooseDeadline((nowSecs() + 5).toULong())
                    screen.share().join()
                    assertEquals(listOf("deadline"), screen.state.value.error?.violations?.map { it.field })
                    screen.chooseDeadline((nowSecs() + 3600).toULong())
                    screen.editPlace("Bishan MRT, exit C")
                    screen.share().join()
                    val shared = assertNotNull(screen.state.value.checkin, "${screen.state.value.error}")
                    assertEquals(CheckinState.ACTIVE, shared.state)
                    assertEquals(
                        listOf(CheckinAction.EXTEND, CheckinAction.SAFE, CheckinAction.CANCEL),
                        screen.state.value.actions,
                    )
                    val left = assertNotNull(screen.state.value.secondsLeft(nowSecs()))
                    assertTrue(left in 3500..3600, "$left")
                    m.alice.core.flushOutbox(10_000)

                    val seen = carolList.state.await("carol watches") { it.watching.isNotEmpty() }.watching.single()
                    assertEquals(CheckinState.ACTIVE, seen.state)
                    assertEquals(bobKey, seen.meeting.pubkey)
                    assertEquals("Bishan MRT, exit C", seen.placeName)
                    val alert = CheckinAlertViewModel(carolCore, aliceKey, seen.id, carol.scope)
                    val alertWatch = alert.watch()
                    alert.state.await("alert loaded") { it.checkin != null }

                    // PINs: "I'm safe" asks for one; a wrong one changes nothing; the duress one
                    // closes it exactly like the usual one would on Alice's screen.
                    alice.setCheckinPins("2580", "1379")
                    screen.load().join()
                    assertTrue(screen.state.value.pinRequired)
                    screen.editPin("0000")
                    screen.safe().join()
                    assertEquals(Refusal.WrongPin, screen.state.value.error?.refusal)
                    assertEquals(CheckinState.ACTIVE, screen.state.value.checkin?.state)
                    screen.editPin("1379")
                    screen.safe().join()
                    val closed = assertNotNull(screen.state.value.checkin)
                    assertEquals(CheckinState.SAFE, closed.state, "${screen.state.value.error}")
                    assertTrue(closed.actions.isEmpty())
                    assertEquals(listOf(CheckinAction.SHARE), screen.state.value.actions)
                    m.alice.core.flushOutbox(10_000)
                    assertEquals(CheckinDelivery.SENT, alice.myCheckins().single().delivery)

                    // Carol's alert screen turns to duress; her notices say so.
                    alert.state.await("carol sees duress") { it.checkin?.state == CheckinState.DURESS }
                    val notices = carol.core.pendingNotices()
                    assertTrue(notices.any { it.kind is NoticeKind.CheckinDuress }, "$notices")
                    assertTrue(notices.none { it.kind is NoticeKind.CheckinSafe }, "$notices")
                    // Bob, the counterparty, was told nothing.
                    assertTrue(m.bob.core.pendingNotices().none { it.kind is NoticeKind.CheckinReceived })

                    alertWatch.cancel()
                    carolWatch.cancel()
                }
            }
        }
}
