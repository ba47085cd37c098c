package app.freeport.android.test

import app.freeport.core.DealView
import app.freeport.core.IdentityView
import app.freeport.core.IntentView
import app.freeport.core.MarketView
import app.freeport.core.MeetCodeView
import app.freeport.core.ProfileView
import app.freeport.core.QuoteView
import app.freeport.core.NoticeSettings
import app.freeport.core.RelayStatusView
import app.freeport.core.ScreeningView
import app.freeport.core.SignalView
import app.freeport.core.qrPng
import app.freeport.presentation.BrowseViewModel
import app.freeport.presentation.FieldValue
import app.freeport.presentation.FormField
import app.freeport.presentation.FormOption
import app.freeport.presentation.InputKind
import app.freeport.presentation.MeetViewModel
import app.freeport.presentation.MyIntentsViewModel
import app.freeport.presentation.NegotiationViewModel
import app.freeport.presentation.OnboardingViewModel
import app.freeport.presentation.PhoneVerification
import app.freeport.presentation.PostIntentViewModel
import app.freeport.presentation.ProfileViewModel
import app.freeport.presentation.QuotesViewModel
import app.freeport.presentation.RateViewModel
import app.freeport.presentation.ScreenContactViewModel
import app.freeport.presentation.SettingsViewModel
import app.freeport.presentation.UiError
import app.freeport.core.IntentSide

/**
 * The state each screen is rendered in for its screenshot: plain values of the view models'
 * own state classes (the screens are stateless), so a change of the core's types moves only
 * these fixtures and the goldens. Names, places and numbers are what a Singapore rideshare
 * market might really show. QR images are real codes drawn by the core (host library).
 */
object ScreenFixtures {
    private const val ALICE = "npub1alice7q0n3g5x3e8l2q0v4u9w8y6k3h2j5d7f9a0s8l6m4n2b1c3v5x7z9q0w"
    private const val BOB = "npub1bob9m2k4j6h8g0f2d4s6a8p0o9i7u5y3t1r2e4w6q8z0x2c4v6b8n0m1l3k5"
    private const val CHEN = "npub1chen3x5c7v9b1n3m5l7k9j1h3g5f7d9s1a3p5o7i9u1y3t5r7e9w1q3z5x7"
    private const val NOW = 1_780_000_000uL

    /** A real QR code drawn by the core's own encoder (host library). */
    fun qr(text: String): ByteArray = qrPng(text, 512u)

    private val rideshare = MarketView(
        topic = "sg-rideshare", schema = "rideshare/1", title = "Rideshare",
        description = "Shared rides around Singapore", defaultExpirySecs = 86_400uL,
        payloadSchemaJson = "{}", formJson = "[]",
    )
    private val markets = listOf(
        rideshare,
        rideshare.copy(topic = "sg-marketplace", schema = "marketplace/1", title = "Second-hand"),
        rideshare.copy(topic = "sg-services", schema = "services/1", title = "Services"),
    )

    private fun intent(id: String, title: String, payload: String, verdict: String, badge: String, mine: Boolean = false, side: String = "offer") =
        IntentView(
            id = id, d = id, author = "a$id", authorNpub = ALICE, side = side, market = "sg-rideshare",
            schema = "rideshare/1", title = title, payloadJson = payload, geohash = "w21z7",
            createdAt = NOW, expiresAt = NOW + 86_400uL, withdrawn = false, mine = mine, badge = badge, verdict = verdict,
            windowStart = null, windowEnd = null, flexMinutes = null,
        )

    private const val RIDE = """{"from":{"name":"Bishan MRT","geohash":"w21z7"},"to":{"name":"Changi Airport T3","geohash":"w21zg"},"when":"Sat 07:30","seats":2,"payment":"SGD 12"}"""

    private fun signal(v: Double?) = SignalView(value = v, flagged = false, weight = 3.2, raters = 4u)

    fun screening(kind: String): ScreeningView = when (kind) {
        "trusted" -> ScreeningView(
            subject = "b0b", subjectNpub = BOB, name = "Bob Tan", deals = 14u, partners = 9u, partnersInNetwork = 4u,
            metInPerson = 11u, verifiedBy = 3u, newAccount = false, safety = signal(0.96), reliability = signal(0.91),
            score = 0.93, weightTotal = 3.2, unreachableWeight = 0.0, verdict = "trusted",
            reasons = listOf("4 of your contacts dealt with them", "met in person 11 times"),
            path = listOf("me", "c1", "b0b"), pathNames = listOf("You", "Chen Wei", "Bob Tan"), badge = "trusted · 14 deals",
            phone = "+65 ••• •• 4821", phoneStatus = "verified by 3", raters = emptyList(), blocked = false,
        )
        "sybil" -> ScreeningView(
            subject = "5y6", subjectNpub = CHEN, name = "Best Deals SG", deals = 31u, partners = 29u, partnersInNetwork = 0u,
            metInPerson = 0u, verifiedBy = 0u, newAccount = true, safety = SignalView(null, true, 0.0, 29u),
            reliability = signal(null), score = null, weightTotal = 0.0, unreachableWeight = 5.8, verdict = "warning",
            reasons = listOf("29 raters, none reachable from your network", "all ratings within 2 days", "account is 3 days old"),
            path = emptyList(), pathNames = emptyList(), badge = "warning", phone = null, phoneStatus = "", raters = emptyList(), blocked = false,
        )
        else -> ScreeningView(
            subject = "c4e", subjectNpub = CHEN, name = "Mei Ling", deals = 1u, partners = 1u, partnersInNetwork = 0u,
            metInPerson = 0u, verifiedBy = 0u, newAccount = false, safety = signal(null), reliability = signal(null),
            score = null, weightTotal = 0.0, unreachableWeight = 0.0, verdict = "unknown",
            reasons = listOf("no one in your network has dealt with them"),
            path = emptyList(), pathNames = emptyList(), badge = "unknown", phone = null, phoneStatus = "", raters = emptyList(), blocked = false,
        )
    }

    private fun deal(state: String, proposedBy: String = "them", contact: String? = null, canMeet: Boolean = false, canRate: Boolean = false) = DealView(
        nego = "n1", intentId = "i1", intentTitle = "Bishan → Changi, Saturday early", market = "sg-rideshare", role = "author",
        state = state, counterparty = "b0b", counterpartyNpub = BOB, termsJson = RIDE, proposedBy = proposedBy, roundsLeft = 3u,
        theirContact = contact, cancelReason = null, expiresAt = NOW + 86_400uL, updatedAt = NOW, canMeet = canMeet,
        canRate = canRate, rated = false, stage = null, unread = 0u, cancelRequestedByThem = false,
        counterpartyBlocked = false, refused = 0u,
    )

    val onboarding = OnboardingViewModel.State(step = OnboardingViewModel.Step.WELCOME)
    val restore = OnboardingViewModel.State(step = OnboardingViewModel.Step.RESTORE)

    val browse = BrowseViewModel.State(
        markets = markets, market = rideshare, precision = 5, area = "w21z7",
        areaSource = BrowseViewModel.AreaSource.LOCATION, radius = 1,
        intents = listOf(
            intent("i1", "Bishan → Changi, Saturday early", RIDE, "trusted", "trusted · 14 deals"),
            intent("i2", "Need a ride to Jurong East", """{"from":{"name":"Toa Payoh","geohash":"w21z6"},"to":{"name":"Jurong East","geohash":"w21z3"},"seats":1,"payment":"SGD 9"}""", "unknown", "new here", side = "request"),
            intent("i3", "Daily carpool to one-north", """{"from":{"name":"Ang Mo Kio","geohash":"w21zd"},"to":{"name":"one-north","geohash":"w21z4"},"seats":3,"payment":"SGD 6"}""", "warning", "warning: ratings from outside your network"),
        ),
    )

    private val rideFields = listOf(
        FormField("/from", "From", InputKind.LOCATION, true, "Pick-up place", emptyList()),
        FormField("/to", "To", InputKind.LOCATION, true, "Drop-off place", emptyList()),
        FormField("/when", "When", InputKind.TEXT, true, "e.g. Sat 07:30", emptyList()),
        FormField("/seats", "Seats", InputKind.NUMBER, true, null, emptyList()),
        FormField("/luggage", "Luggage", InputKind.SELECT, false, null, listOf(FormOption("none", "None"), FormOption("small", "Small"), FormOption("large", "Large"))),
        FormField("/payment", "Payment", InputKind.CURRENCY, true, "SGD 10", emptyList()),
    )

    val post = PostIntentViewModel.State(
        market = rideshare, fields = rideFields, side = IntentSide.OFFER, title = "Bishan → Changi, Saturday early",
        values = mapOf(
            "/from" to FieldValue.Place("Bishan MRT", "w21z7"),
            "/to" to FieldValue.Place("Changi Airport T3", "w21zg"),
            "/when" to FieldValue.Text("Sat 07:30"),
            "/seats" to FieldValue.Text("0"),
            "/luggage" to FieldValue.Text("small"),
        ),
        geohash = "w21z7",
        fieldErrors = mapOf(
            "/seats" to UiError(UiError.Kind.INVALID_INPUT, "/seats: must be at least 1", "/seats"),
            "/payment" to UiError(UiError.Kind.INVALID_INPUT, "/payment: required", "/payment"),
        ),
    )

    val quotes = QuotesViewModel.State(
        intent = intent("i1", "Bishan → Changi, Saturday early", RIDE, "", "", mine = true),
        quotes = listOf(
            QuoteView(deal("open"), screening("trusted")),
            QuoteView(deal("open").copy(nego = "n2", termsJson = RIDE.replace("SGD 12", "SGD 10")), screening("unknown")),
        ),
        pickable = setOf("n1", "n2"),
    )

    val mine = MyIntentsViewModel.State(
        intents = listOf(intent("i1", "Bishan → Changi, Saturday early", RIDE, "", "", mine = true)),
        deals = listOf(deal("confirmed"), deal("open").copy(nego = "n2", intentTitle = "IKEA bookshelf, Tampines")),
    )

    val deal = NegotiationViewModel.State(
        deal = deal("accepted_by_them"),
        terms = listOf("From" to "Bishan MRT", "To" to "Changi Airport T3", "When" to "Sat 07:30", "Seats" to "2", "Payment" to "SGD 12"),
        edits = mapOf("Payment" to "SGD 10"),
        canAccept = true, canCounter = true, canCancel = true,
    )

    fun meetShow() = MeetViewModel.State(
        deal = deal("confirmed", contact = "+65 9123 4821", canMeet = true), mode = MeetViewModel.Mode.SHOW,
        code = MeetCodeView(
            nego = "n1", token = "fpm1", png = qr("freeport:meet:v1:n1:7f3a9c0e5b2d4a6f8e1c3b5d7f9a2c4e"), svg = "", terminal = "",
            qrVersion = 4u, createdAt = NOW, expiresAt = NOW + 120uL, refreshAt = NOW + 60uL,
        ),
        secondsToRefresh = 42,
    )

    val meetScan = MeetViewModel.State(
        deal = deal("confirmed", canMeet = true), mode = MeetViewModel.Mode.SCAN,
        hint = UiError(UiError.Kind.INVALID_CODE, "no QR code in view yet"),
    )

    val rate = RateViewModel.State(
        deal = deal("met", contact = "+65 9123 4821", canRate = true), safe = true, reliable = null, score = 2,
        reachedNumber = true, canAttestNumber = true,
    )

    fun screenContact(kind: String) = ScreenContactViewModel.State(
        input = if (kind == "trusted") BOB else CHEN,
        screening = screening(kind),
        path = if (kind == "trusted") {
            listOf(ScreenContactViewModel.PathStep("me", "You"), ScreenContactViewModel.PathStep("c1", "Chen Wei"), ScreenContactViewModel.PathStep("b0b", "Bob Tan"))
        } else {
            emptyList()
        },
    )

    fun profile() = ProfileViewModel.State(
        profile = ProfileView(
            pubkey = "a11ce", npub = ALICE, name = "Alice Lim", about = "Weekend driver, Bishan", phonePublished = "+65 ••• •• 4821",
            phoneIsFull = false, phoneCommit = "c0ffee", vehicleModel = "Toyota Corolla", plate = "SGX 1234 A",
        ),
        name = "Alice Lim", about = "Weekend driver, Bishan", vehicleModel = "Toyota Corolla", plate = "SGX 1234 A",
        phoneVerification = PhoneVerification.VERIFIED, verifiedBy = 3, profileCode = qr("nostr:$ALICE"),
    )

    val settings = SettingsViewModel.State(
        identity = IdentityView("a11ce", ALICE),
        relayStatus = listOf(RelayStatusView("wss://relay.damus.io", true), RelayStatusView("wss://nos.lol", false)),
        relays = listOf("wss://relay.damus.io", "wss://nos.lol"),
        outboxPending = 2,
        coreVersion = "0.1.0",
        notices = NoticeSettings(deals = true, ratings = false, safety = true),
    )
}
