package app.freeport.presentation

import app.freeport.core.ScreeningView

/**
 * A deal's state as a closed set the app words through string resources, instead of showing the
 * core's wire label (`DealView.state`) to the user. [UNKNOWN] covers labels a newer core may add.
 */
enum class DealState {
    OPEN, ACCEPTED_BY_US, ACCEPTED_BY_THEM, CONFIRMED, CANCEL_REQUESTED, MET, COMPLETED, CANCELLED, EXPIRED, UNKNOWN;

    companion object {
        /** The state for a core label such as `accepted_by_them`. */
        fun of(label: String): DealState =
            entries.firstOrNull { it != UNKNOWN && it.name.equals(label.trim(), ignoreCase = true) } ?: UNKNOWN
    }
}

/** How a published phone number is verified, from structured screening fields (not its English line). */
enum class PhoneVerification {
    /** No phone published. */
    NONE,

    /** Published, but nobody attested reaching it yet. */
    NOT_VERIFIED,

    /** At least one rater reached them at that number (`verifiedBy` says how many). */
    VERIFIED;

    companion object {
        /** The verification shown on [s]'s card. */
        fun of(s: ScreeningView): PhoneVerification = when {
            s.phone == null -> NONE
            s.verifiedBy > 0u -> VERIFIED
            else -> NOT_VERIFIED
        }
    }
}
