package app.freeport.presentation

import org.junit.jupiter.api.Test
import kotlin.test.assertEquals

class LabelsTest {
    @Test
    fun `every deal state label the core documents maps to its own state, anything else to UNKNOWN`() {
        val labels = listOf(
            "open", "accepted_by_us", "accepted_by_them", "confirmed", "cancel_requested",
            "met", "completed", "cancelled", "expired",
        )
        val states = labels.map(DealState::of)
        assertEquals(labels.size, states.toSet().size, "distinct: $states")
        assertEquals(false, DealState.UNKNOWN in states)
        assertEquals(DealState.ACCEPTED_BY_THEM, DealState.of(" accepted_by_them "))
        for (bad in listOf("", "unknown", "UNKNOWN", "accepted by them", "met!", "open\u0000")) {
            assertEquals(DealState.UNKNOWN, DealState.of(bad), "`$bad`")
        }
    }
}
