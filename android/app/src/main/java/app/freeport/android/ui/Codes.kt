package app.freeport.android.ui

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.pluralStringResource
import androidx.compose.ui.res.stringResource
import app.freeport.android.R
import app.freeport.core.Badge
import app.freeport.core.CancelReason
import app.freeport.core.Cancellation
import app.freeport.core.CheckinState
import app.freeport.core.CodeKind
import app.freeport.core.CodeProblem
import app.freeport.core.DealAction
import app.freeport.core.DealStage
import app.freeport.core.FieldViolation
import app.freeport.core.Format
import app.freeport.core.Party
import app.freeport.core.PhoneProblem
import app.freeport.core.Reason
import app.freeport.core.Refusal
import app.freeport.core.RefusalCode
import app.freeport.core.RelayUrlRule
import app.freeport.core.Rule
import app.freeport.core.ValueKind

/*
 * The core's codes in the user's language: one string resource per code (res/values/codes.xml),
 * parameters as placeholders, counts as plurals. The core decides; this file only words it.
 */

@Composable
fun refusalText(r: Refusal): String = when (r) {
    Refusal.NotYourTurn -> stringResource(R.string.refusal_not_your_turn)
    is Refusal.NoRoundsLeft -> pluralStringResource(R.plurals.refusal_no_rounds_left, r.cap.toInt(), r.cap.toInt())
    Refusal.NoChange -> stringResource(R.string.refusal_no_change)
    Refusal.IntentExpired -> stringResource(R.string.refusal_intent_expired)
    is Refusal.DealClosed -> stringResource(R.string.refusal_deal_closed, dealStateText(r.state))
    Refusal.AlreadyMet -> stringResource(R.string.refusal_already_met)
    is Refusal.NotNow -> stringResource(R.string.refusal_not_now, dealStateText(r.state))
    Refusal.AlreadyPicked -> stringResource(R.string.refusal_already_picked)
    is Refusal.TooManyQuotes -> pluralStringResource(R.plurals.refusal_too_many_quotes, r.limit.toInt(), r.limit.toInt())
    Refusal.OwnIntent -> stringResource(R.string.refusal_own_intent)
    Refusal.IntentWithdrawn -> stringResource(R.string.refusal_intent_withdrawn)
    is Refusal.AlreadyResponded -> stringResource(R.string.refusal_already_responded, dealStateText(r.state))
    Refusal.OwnerOnly -> stringResource(R.string.refusal_owner_only)
    Refusal.AuthorOnly -> stringResource(R.string.refusal_author_only)
    Refusal.AlreadyRated -> stringResource(R.string.refusal_already_rated)
    Refusal.NoContactToAttest -> stringResource(R.string.refusal_no_contact_to_attest)
    Refusal.NoCodeShown -> stringResource(R.string.refusal_no_code_shown)
    Refusal.IdentityExists -> stringResource(R.string.refusal_identity_exists)
    Refusal.Blocked -> stringResource(R.string.refusal_blocked)
    is Refusal.CheckinNeedsConfirmedDeal -> stringResource(R.string.refusal_checkin_needs_confirmed, dealStateText(r.state))
    Refusal.CheckinOpen -> stringResource(R.string.refusal_checkin_open)
    Refusal.NoCheckin -> stringResource(R.string.refusal_no_checkin)
    is Refusal.CheckinClosed -> stringResource(R.string.refusal_checkin_closed, checkinStateText(r.state))
    Refusal.NoTrustedContacts -> stringResource(R.string.refusal_no_trusted_contacts)
    is Refusal.NotATrustedContact -> stringResource(R.string.refusal_not_a_trusted_contact)
    is Refusal.TooManyTrustedContacts -> pluralStringResource(R.plurals.refusal_too_many_trusted, r.max.toInt(), r.max.toInt())
    Refusal.ContactIsCounterparty -> stringResource(R.string.refusal_contact_is_counterparty)
    Refusal.NoCheckinPins -> stringResource(R.string.refusal_no_checkin_pins)
    Refusal.WrongPin -> stringResource(R.string.refusal_wrong_pin)
}

/** A check-in's state (`DURESS` only ever on a contact's phone). */
@Composable
fun checkinStateText(s: CheckinState): String = stringResource(
    when (s) {
        CheckinState.PLANNED -> R.string.checkin_state_planned
        CheckinState.ACTIVE -> R.string.checkin_state_active
        CheckinState.OVERDUE -> R.string.checkin_state_overdue
        CheckinState.SAFE -> R.string.checkin_state_safe
        CheckinState.DURESS -> R.string.checkin_state_duress
        CheckinState.CANCELLED -> R.string.checkin_state_cancelled
    },
)

/** The button for each of the core's deal actions. */
@Composable
fun actionText(a: DealAction): String = stringResource(
    when (a) {
        DealAction.ACCEPT -> R.string.action_accept
        DealAction.PICK -> R.string.action_pick
        DealAction.COUNTER -> R.string.action_counter
        DealAction.CANCEL -> R.string.action_cancel
        DealAction.REQUEST_CANCEL -> R.string.action_request_cancel
        DealAction.AGREE_CANCEL -> R.string.action_agree_cancel
        DealAction.DECLINE_CANCEL -> R.string.action_decline_cancel
        DealAction.SHOW_CODE -> R.string.meet_show
        DealAction.SCAN_CODE -> R.string.meet_scan
        DealAction.RATE -> R.string.action_rate
        DealAction.CHAT -> R.string.chat_send
        DealAction.MARK_PICKED_UP -> R.string.action_mark_picked_up
        DealAction.MARK_COMPLETED -> R.string.action_mark_completed
    },
)

/** How far a deal got. */
@Composable
fun stageText(s: DealStage): String = stringResource(
    when (s) {
        DealStage.PICKED_UP -> R.string.stage_picked_up
        DealStage.COMPLETED -> R.string.stage_completed
    },
)

/** Why something a counterparty sent was not accepted. */
@Composable
fun refusalCodeText(code: RefusalCode): String = stringResource(
    when (code) {
        RefusalCode.NOT_FREEPORT -> R.string.refused_not_freeport
        RefusalCode.MALFORMED -> R.string.refused_malformed
        RefusalCode.NOT_FOR_US -> R.string.refused_not_for_us
        RefusalCode.UNKNOWN_DEAL -> R.string.refused_unknown_deal
        RefusalCode.BAD_OPENING -> R.string.refused_bad_opening
        RefusalCode.STALE_ACCEPT -> R.string.refused_stale_accept
        RefusalCode.NOT_ALLOWED_NOW -> R.string.refused_not_allowed_now
        RefusalCode.CLOSED -> R.string.refused_closed
        RefusalCode.IRREVERSIBLE -> R.string.refused_irreversible
        RefusalCode.ROUND_CAP_REACHED -> R.string.refused_round_cap
        RefusalCode.EXPIRED -> R.string.refused_expired
        RefusalCode.TOO_MANY_MESSAGES -> R.string.refused_too_many
        RefusalCode.THREAD_LIMIT -> R.string.refused_thread_limit
        RefusalCode.CHAT_FULL -> R.string.refused_chat_full
        RefusalCode.NOT_A_CONTACT -> R.string.refused_not_a_contact
        RefusalCode.STALE -> R.string.refused_stale
    },
)

/** Why the core refused a relay address (or a whole list). */
@Composable
fun relayRuleText(rule: RelayUrlRule): String = when (rule) {
    RelayUrlRule.Empty -> stringResource(R.string.relay_rule_empty)
    is RelayUrlRule.TooLong -> stringResource(R.string.relay_rule_too_long, rule.max.toInt())
    RelayUrlRule.NotAUrl -> stringResource(R.string.relay_rule_not_a_url)
    RelayUrlRule.Scheme -> stringResource(R.string.relay_rule_scheme)
    RelayUrlRule.PlainWs -> stringResource(R.string.relay_rule_plain_ws)
    RelayUrlRule.Credentials -> stringResource(R.string.relay_rule_credentials)
    RelayUrlRule.PrivateAddress -> stringResource(R.string.relay_rule_private)
    RelayUrlRule.Onion -> stringResource(R.string.relay_rule_onion)
    RelayUrlRule.HostileShape -> stringResource(R.string.relay_rule_shape)
    RelayUrlRule.Duplicate -> stringResource(R.string.relay_rule_duplicate)
    is RelayUrlRule.TooMany -> stringResource(R.string.relay_rule_too_many, rule.max.toInt())
    RelayUrlRule.ListEmpty -> stringResource(R.string.relay_rule_list_empty)
}

/** A limit as people write it: `120`, not `120.0`. */
private fun number(x: Double): String = if (x % 1.0 == 0.0 && kotlin.math.abs(x) < 1e15) x.toLong().toString() else x.toString()

@Composable
private fun formatText(f: Format): String = stringResource(
    when (f) {
        Format.GEOHASH -> R.string.format_geohash
        Format.CURRENCY_CODE -> R.string.format_currency_code
        Format.PUBLIC_KEY -> R.string.format_public_key
        Format.BACKUP -> R.string.format_backup
        Format.JSON -> R.string.format_json
        Format.PHONE -> R.string.format_phone
        Format.RELAY_URL -> R.string.format_relay_url
        Format.COORDINATES -> R.string.format_coordinates
        Format.PATTERN -> R.string.format_pattern
    },
)

@Composable
private fun kindText(k: ValueKind): String = stringResource(
    when (k) {
        ValueKind.TEXT -> R.string.kind_text
        ValueKind.NUMBER -> R.string.kind_number
        ValueKind.INTEGER -> R.string.kind_integer
        ValueKind.BOOLEAN -> R.string.kind_boolean
        ValueKind.LIST -> R.string.kind_list
        ValueKind.OBJECT -> R.string.kind_object
        ValueKind.NULL -> R.string.kind_null
    },
)

@Composable
fun ruleText(r: Rule): String = when (r) {
    Rule.Required -> stringResource(R.string.rule_required)
    Rule.Blank -> stringResource(R.string.rule_blank)
    is Rule.TooShort -> pluralStringResource(R.plurals.rule_too_short, r.min.toInt(), r.min.toInt())
    is Rule.TooLong -> pluralStringResource(R.plurals.rule_too_long, r.max.toInt(), r.max.toInt())
    is Rule.TooLarge -> pluralStringResource(R.plurals.rule_too_large, r.max.toInt(), r.max.toInt())
    is Rule.TooFew -> pluralStringResource(R.plurals.rule_too_few, r.min.toInt(), r.min.toInt())
    is Rule.TooMany -> pluralStringResource(R.plurals.rule_too_many, r.max.toInt(), r.max.toInt())
    Rule.NotANumber -> stringResource(R.string.rule_not_a_number)
    is Rule.BelowMinimum -> stringResource(R.string.rule_below_minimum, number(r.min))
    is Rule.AboveMaximum -> stringResource(R.string.rule_above_maximum, number(r.max))
    Rule.NotPositive -> stringResource(R.string.rule_not_positive)
    is Rule.NotAnOption -> stringResource(R.string.rule_not_an_option, r.options.joinToString(", "))
    is Rule.BadFormat -> stringResource(R.string.rule_bad_format, formatText(r.format))
    is Rule.WrongType -> stringResource(R.string.rule_wrong_type, kindText(r.expected))
    Rule.Mismatch -> stringResource(R.string.rule_mismatch)
    Rule.NotConfirmed -> stringResource(R.string.rule_not_confirmed)
    Rule.Unknown -> stringResource(R.string.rule_unknown)
    Rule.IsSecretKey -> stringResource(R.string.rule_is_secret_key)
    Rule.IsOwnKey -> stringResource(R.string.rule_is_own_key)
    Rule.ControlCharacters -> stringResource(R.string.rule_control_characters)
    Rule.EndBeforeStart -> stringResource(R.string.rule_end_before_start)
    Rule.InThePast -> stringResource(R.string.rule_in_the_past)
    Rule.Invalid -> stringResource(R.string.rule_invalid)
    is Rule.Schema -> stringResource(R.string.rule_schema, r.keyword)
    is Rule.TooSoon -> (r.minSecs.toLong() / 60).coerceAtLeast(1).toInt().let {
        pluralStringResource(R.plurals.rule_too_soon, it, it)
    }
    is Rule.TooFarAhead -> (r.maxSecs.toLong() / 3600).coerceAtLeast(1).toInt().let {
        pluralStringResource(R.plurals.rule_too_far_ahead, it, it)
    }
    is Rule.MustDiffer -> stringResource(R.string.rule_must_differ)
}

/** The rules of [violations], one per line (they are already placed under their field). */
@Composable
fun violationsText(violations: List<FieldViolation>): String =
    violations.map { ruleText(it.rule) }.distinct().joinToString("\n")

@Composable
fun codeProblemText(p: CodeProblem): String = when (p) {
    CodeProblem.NotFreeport -> stringResource(R.string.code_not_freeport)
    is CodeProblem.WrongKind -> stringResource(
        if (p.found == CodeKind.RETURN) R.string.code_wrong_kind_return else R.string.code_wrong_kind_meet,
    )
    CodeProblem.NewerVersion -> stringResource(R.string.code_newer_version)
    is CodeProblem.Incomplete -> stringResource(R.string.code_incomplete, p.foundChars.toInt(), p.expectedChars.toInt())
    CodeProblem.ExtraCharacters -> stringResource(R.string.code_extra_characters)
    CodeProblem.BadCharacter -> stringResource(R.string.code_bad_character)
    CodeProblem.Damaged -> stringResource(R.string.code_damaged)
    CodeProblem.DifferentDeal -> stringResource(R.string.code_different_deal)
    CodeProblem.OwnCode -> stringResource(R.string.code_own_code)
    CodeProblem.NotTheirCode -> stringResource(R.string.code_not_their_code)
    CodeProblem.Tampered -> stringResource(R.string.code_tampered)
    is CodeProblem.Expired -> {
        val minutes = (p.agoSecs.toLong() / 60).coerceIn(1, Int.MAX_VALUE.toLong()).toInt()
        pluralStringResource(R.plurals.code_expired_minutes, minutes, minutes)
    }
    is CodeProblem.FromFuture -> {
        val minutes = (p.aheadSecs.toLong() / 60).coerceIn(1, Int.MAX_VALUE.toLong()).toInt()
        pluralStringResource(R.plurals.code_from_future_minutes, minutes, minutes)
    }
    CodeProblem.AlreadyUsed -> stringResource(R.string.code_already_used)
    CodeProblem.UnknownReturn -> stringResource(R.string.code_unknown_return)
    CodeProblem.ClockWrong -> stringResource(R.string.code_clock_wrong)
    CodeProblem.NoCode -> stringResource(R.string.code_no_code)
    CodeProblem.BadImage -> stringResource(R.string.code_bad_image)
}

@Composable
fun phoneProblemText(p: PhoneProblem): String = when (p) {
    PhoneProblem.Empty -> stringResource(R.string.phone_problem_empty)
    is PhoneProblem.InputTooLong -> pluralStringResource(R.plurals.phone_problem_input_too_long, p.max.toInt(), p.max.toInt())
    is PhoneProblem.UnexpectedCharacter -> stringResource(R.string.phone_problem_unexpected_character, p.character)
    is PhoneProblem.UnknownRegion -> stringResource(R.string.phone_problem_unknown_region, p.region)
    PhoneProblem.MissingCountryCode -> stringResource(R.string.phone_problem_missing_country_code)
    is PhoneProblem.UnknownCountryCode -> stringResource(R.string.phone_problem_unknown_country_code, p.leading)
    is PhoneProblem.NotANumber -> pluralStringResource(R.plurals.phone_problem_not_a_number, p.digits.toInt(), p.digits.toInt())
    is PhoneProblem.TooShort -> stringResource(R.string.phone_problem_too_short, p.countryCode.toInt())
    is PhoneProblem.TooLong -> stringResource(R.string.phone_problem_too_long, p.countryCode.toInt())
    is PhoneProblem.WrongLength -> stringResource(R.string.phone_problem_wrong_length, p.countryCode.toInt())
    is PhoneProblem.NotAssigned -> stringResource(R.string.phone_problem_not_assigned, p.countryCode.toInt())
    is PhoneProblem.TooManyDigits -> pluralStringResource(R.plurals.phone_problem_too_many_digits, p.max.toInt(), p.max.toInt())
    PhoneProblem.NoPhoneInContact -> stringResource(R.string.phone_problem_no_phone_in_contact)
    is PhoneProblem.ContactTooLong -> pluralStringResource(R.plurals.phone_problem_contact_too_long, p.max.toInt(), p.max.toInt())
}

@Composable
fun reasonText(r: Reason): String = when (r) {
    Reason.ReportedUnsafe -> stringResource(R.string.reason_reported_unsafe)
    Reason.ReportedUnreliable -> stringResource(R.string.reason_reported_unreliable)
    Reason.NoRatingsFromNetwork -> stringResource(R.string.reason_no_ratings_from_network)
    is Reason.RatingsOutsideNetwork -> pluralStringResource(R.plurals.reason_ratings_outside_network, r.count.toInt(), r.count.toInt())
    is Reason.RatedWellInNetwork -> pluralStringResource(R.plurals.reason_rated_well_in_network, r.count.toInt(), r.count.toInt())
    Reason.FewRatingsFromNetwork -> stringResource(R.string.reason_few_ratings_from_network)
    is Reason.NewAccount -> pluralStringResource(R.plurals.reason_new_account, r.days.toInt(), r.days.toInt())
}

@Composable
fun cancellationText(c: Cancellation): String {
    val reason = when (val r = c.reason) {
        CancelReason.NotGiven -> stringResource(R.string.cancel_reason_not_given)
        CancelReason.Filled -> stringResource(R.string.cancel_reason_filled)
        CancelReason.Withdrawn -> stringResource(R.string.cancel_reason_withdrawn)
        is CancelReason.Said -> stringResource(R.string.cancel_reason_said, r.text)
    }
    return stringResource(if (c.by == Party.US) R.string.cancel_by_us else R.string.cancel_by_them, reason)
}

/** `★ 12 deals · 9 partners · 3 in your network · verified by 9 · new account` (the verdict chip carries the star). */
@Composable
fun badgeText(b: Badge): String {
    val parts = mutableListOf(
        stringResource(
            R.string.badge_line,
            pluralStringResource(R.plurals.card_deals, b.deals.toInt(), b.deals.toInt()),
            pluralStringResource(R.plurals.badge_partners, b.partners.toInt(), b.partners.toInt()),
            b.partnersInNetwork.toInt(),
        ),
    )
    if (b.verifiedBy > 0u) parts += pluralStringResource(R.plurals.badge_verified_by, b.verifiedBy.toInt(), b.verifiedBy.toInt())
    if (b.newAccount) parts += stringResource(R.string.badge_new_account)
    return parts.joinToString(" · ")
}
