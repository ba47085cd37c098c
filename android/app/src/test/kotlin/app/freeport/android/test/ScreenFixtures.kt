package app.freeport.android.test

import app.freeport.core.Badge
import app.freeport.core.BlockedView
import app.freeport.core.CancelReason
import app.freeport.core.Cancellation
import app.freeport.core.ChatMessageView
import app.freeport.core.CodeProblem
import app.freeport.core.DealAction
import app.freeport.core.DealRole
import app.freeport.core.DealStage
import app.freeport.core.DealState
import app.freeport.core.DealView
import app.freeport.core.FieldViolation
import app.freeport.core.Format
import app.freeport.core.IdentityView
import app.freeport.core.IntentAction
import app.freeport.core.IntentSide
import app.freeport.core.IntentView
import app.freeport.core.MarketView
import app.freeport.core.MeetCodeView
import app.freeport.core.MeetOutcomeView
import app.freeport.core.Party
import app.freeport.core.PhoneStatus
import app.freeport.core.ProfileView
import app.freeport.core.QuoteView
import app.freeport.core.NoticeSettings
import app.freeport.core.Reason
import app.freeport.core.RefusalCode
import app.freeport.core.RefusalView
import app.freeport.core.RelayListRole
import app.freeport.core.RelaySettingsView
import app.freeport.core.RelayStatusView
import app.freeport.core.RelayUrlRule
import app.freeport.core.RelayViolationRecord
import app.freeport.core.Rule
import app.freeport.core.ScreeningView
import app.freeport.core.SignalView
import app.freeport.core.TermValue
import app.freeport.core.TermView
import app.freeport.core.Verdict
import app.freeport.core.bundledMarkets
import app.freeport.core.qrPng
import app.freeport.presentation.BrowseViewModel
import app.freeport.presentation.DealChatViewModel
import app.freeport.presentation.FieldValue
import app.freeport.presentation.FormField
import app.freeport.presentation.FormOption
import app.freeport.presentation.InputKind
import app.freeport.presentation.MeetViewModel
import app.freeport.presentation.MyIntentsViewModel
import app.freeport.presentation.NegotiationViewModel
import app.freeport.presentation.OnboardingViewModel
import app.freeport.presentation.PostIntentViewModel
import app.freeport.presentation.ProfileViewModel
import app.freeport.presentation.QuotesViewModel
import app.freeport.presentation.RateViewModel
import app.freeport.presentation.ScreenContactViewModel
import app.freeport.presentation.SettingsViewModel
import app.freeport.presentation.UiError

/**
 * The state each screen is rendered in for its screenshot: plain values of the view models'
 * own state classes (the screens are stateless), built from the core's typed values (states,
 * actions, verdicts, reasons, codes — never strings standing for them), so a change of the
 * core's types moves only these fixtures and the goldens. The actions on each deal are what the
 * core offers in that state (DealChatTest / NegotiationTest assert them through the real core).
 * Names, places and numbers are what a Singapore rideshare market might really show. QR images
 * are real codes drawn by the core (host library).
 */
object ScreenFixtures {
    private const val ALICE = "npub1alice7q0n3g5x3e8l2q0v4u9w8y6k3h2j5d7f9a0s8l6m4n2b1c3v5x7z9q0w"
    private const val BOB = "npub1bob9m2k4j6h8g0f2d4s6a8p0o9i7u5y3t1r2e4w6q8z0x2c4v6b8n0m1l3k5"
    private const val CHEN = "npub1chen3x5c7v9b1n3m5l7k9j1h3g5f7d9s1a3p5o7i9u1y3t5r7e9w1q3z5x7"
    const val NOW = 1_780_000_000uL

    /** Where the fixtures' markets are: dates are shown in Singapore time. */
    val ZONE: android.icu.util.TimeZone = android.icu.util.TimeZone.getTimeZone("Asia/Singapore")

    /** Saturday 07:00–08:00 in Singapore (the post form's window). */
    private const val WINDOW_START = 1_780_095_600uL
    private const val WINDOW_END = 1_780_099_200uL

    /** A real QR code drawn by the core's own encoder (host library). */
    fun qr(text: String): ByteArray = qrPng(text, 512u)

    /** The rideshare market's form as the core ships it (assets/markets/rideshare-1.json). */
    private val rideFields = listOf(
        field("/from", "From", InputKind.LOCATION, true, "Pick-up place"),
        field("/to", "To", InputKind.LOCATION, true, "Drop-off place"),
        field("/category", "Vehicle", InputKind.SELECT, false, null, listOf(FormOption("car", "Car"), FormOption("motorbike", "Motorbike"), FormOption("van", "Van"), FormOption("other", "Other"))),
        field("/payment", "Payment", InputKind.TEXT, false, "e.g. SGD 15"),
        field("/note", "Note", InputKind.MULTILINE, false, "Luggage, seats, stops…"),
    )

    private fun place(name: String, geohash: String) = TermValue.Place(name, geohash)

    /**
     * A rideshare payload or deal's terms as the core types them (`IntentView.terms`,
     * `DealView.terms`): the form's fields in its order with its labels, the payment read as
     * money, the vehicle by its option's label, then the keys the form does not have (the window).
     */
    private fun rideTerms(
        from: TermValue.Place, to: TermValue.Place, payment: String, category: String? = null, note: String? = null,
        window: Boolean = false,
    ): List<TermView> {
        // Labels and option labels as the core gives them to a phone in [locale] (its localized market).
        val form = rideshareIn(locale).form
        fun label(path: String) = form.first { it.path == path }.label
        return listOfNotNull(
            TermView("/from", label("/from"), from, from.name, emptyList()),
            TermView("/to", label("/to"), to, to.name, emptyList()),
            category?.let { c ->
                val options = form.first { it.path == "/category" }.options
                TermView("/category", label("/category"), TermValue.Choice(c, options.first { it.value == c }.label), c, options)
            },
            TermView("/payment", label("/payment"), TermValue.Money(payment, "SGD"), "SGD $payment", emptyList()),
            note?.let { TermView("/note", label("/note"), TermValue.Text(it), it, emptyList()) },
            if (window) TermView("/window", "Window", TermValue.Window(WINDOW_START, WINDOW_END), null, emptyList()) else null,
        )
    }

    /**
     * The locale the screen being rendered is in (a BCP 47 tag; null: English): the fixtures' terms
     * take their labels from the core's markets in it, as a phone in that language gets them.
     * `ScreenshotTest` sets it before each shot; the fixtures below that show terms are getters.
     */
    var locale: String? = null

    private val RIDE_TERMS get() = rideTerms(place("Bishan MRT", "w21z7"), place("Changi Airport T3", "w21zg"), "12", "car", "Sat 07:30, 2 seats")

    private fun field(path: String, label: String, input: InputKind, required: Boolean, placeholder: String?, options: List<FormOption> = emptyList()) =
        FormField(path, label, input, required, placeholder, options, maxLength = null, minimum = null, maximum = null, maxItems = null)

    private const val RIDESHARE = "sg-rideshare"

    /**
     * The bundled markets as the real core shows them to a phone in [locale] (a BCP 47 tag, as
     * the app passes `LocaleList`; null: the default, English).
     */
    private fun coreMarkets(locale: String?): List<MarketView> = bundledMarkets(listOfNotNull(locale))

    /**
     * The markets a phone in [locale] lists, the rideshare one with the form above: its labels,
     * placeholders and option labels are the core's for that language (the core's English is
     * checked to be the fixture's, so the fixture cannot drift from assets/markets).
     */
    private fun markets(locale: String?): List<MarketView> {
        val english = coreMarkets(null).first { it.topic == RIDESHARE }
        for (f in rideFields) {
            val c = english.form.first { it.path == f.path }
            check(c.label == f.label && c.placeholder == f.placeholder && c.options == f.options) { "fixture drifted: ${f.path}" }
        }
        return coreMarkets(locale).map { m ->
            if (m.topic != RIDESHARE) m.copy(form = emptyList())
            else m.copy(
                form = rideFields.map { f -> m.form.first { it.path == f.path }.let { c -> f.copy(label = c.label, placeholder = c.placeholder, options = c.options) } },
            )
        }
    }

    private fun rideshareIn(locale: String?) = markets(locale).first { it.topic == RIDESHARE }

    private fun badge(verdict: Verdict, deals: UInt, partners: UInt, inNetwork: UInt, verifiedBy: UInt = 0u, newAccount: Boolean = false) =
        Badge(verdict, deals, partners, inNetwork, verifiedBy, newAccount)

    private fun intent(
        id: String, title: String, payload: String, terms: List<TermView>, badge: Badge?, mine: Boolean = false,
        side: IntentSide = IntentSide.OFFER, window: Boolean = false,
    ) =
        IntentView(
            id = id, d = id, author = "a$id", authorNpub = ALICE, side = side, market = "sg-rideshare",
            schema = "rideshare/1", title = title, payloadJson = payload, terms = terms, geohash = "w21z7",
            createdAt = NOW, expiresAt = NOW + 86_400uL, windowStart = if (window) WINDOW_START else null,
            windowEnd = if (window) WINDOW_END else null, flexMinutes = if (window) 15u else null,
            withdrawn = false, mine = mine, badge = if (mine) null else badge,
            actions = if (mine) listOf(IntentAction.WITHDRAW) else listOf(IntentAction.ACCEPT, IntentAction.COUNTER),
            link = "nostr:nevent1$id",
        )

    private const val RIDE = """{"from":{"name":"Bishan MRT","geohash":"w21z7"},"to":{"name":"Changi Airport T3","geohash":"w21zg"},"category":"car","payment":"SGD 12","note":"Sat 07:30, 2 seats"}"""

    private fun signal(v: Double?) = SignalView(value = v, flagged = false, weight = 3.2, raters = 4u)

    fun screening(kind: String): ScreeningView = when (kind) {
        "trusted" -> ScreeningView(
            subject = "b0b", subjectNpub = BOB, name = "Bob Tan", deals = 14u, partners = 9u, partnersInNetwork = 4u,
            metInPerson = 11u, verifiedBy = 3u, newAccount = false, safety = signal(0.96), reliability = signal(0.91),
            score = 0.93, weightTotal = 3.2, unreachableWeight = 0.0, verdict = Verdict.TRUSTED,
            reasons = listOf(Reason.RatedWellInNetwork(4u)),
            path = listOf("me", "c1", "b0b"), pathNames = listOf("You", "Chen Wei", "Bob Tan"),
            badge = badge(Verdict.TRUSTED, 14u, 9u, 4u, verifiedBy = 3u),
            phone = "+65 ••• •• 4821", phoneStatus = PhoneStatus.VerifiedBy(3u), raters = emptyList(), blocked = false,
        )
        "sybil" -> ScreeningView(
            subject = "5y6", subjectNpub = CHEN, name = "Best Deals SG", deals = 31u, partners = 29u, partnersInNetwork = 0u,
            metInPerson = 0u, verifiedBy = 0u, newAccount = true, safety = SignalView(null, true, 0.0, 29u),
            reliability = signal(null), score = null, weightTotal = 0.0, unreachableWeight = 5.8, verdict = Verdict.WARNING,
            reasons = listOf(Reason.RatingsOutsideNetwork(29u), Reason.NoRatingsFromNetwork, Reason.NewAccount(3u)),
            path = emptyList(), pathNames = emptyList(), badge = badge(Verdict.WARNING, 31u, 29u, 0u, newAccount = true),
            phone = null, phoneStatus = PhoneStatus.NotPublished, raters = emptyList(), blocked = false,
        )
        else -> ScreeningView(
            subject = "c4e", subjectNpub = CHEN, name = "Mei Ling", deals = 1u, partners = 1u, partnersInNetwork = 0u,
            metInPerson = 0u, verifiedBy = 0u, newAccount = false, safety = signal(null), reliability = signal(null),
            score = null, weightTotal = 0.0, unreachableWeight = 0.0, verdict = Verdict.UNKNOWN,
            reasons = listOf(Reason.NoRatingsFromNetwork),
            path = emptyList(), pathNames = emptyList(), badge = badge(Verdict.UNKNOWN, 1u, 1u, 0u),
            phone = "+65 ••• •• 1187", phoneStatus = PhoneStatus.NotVerified, raters = emptyList(), blocked = false,
        )
    }

    private fun deal(
        state: DealState,
        actions: List<DealAction>,
        role: DealRole = DealRole.RESPONDER,
        proposedBy: Party = Party.THEM,
        contact: String? = null,
        stage: DealStage? = null,
        unread: UInt = 0u,
    ) = DealView(
        nego = "n1", intentId = "i1", intentTitle = "Bishan → Changi, Saturday early", market = "sg-rideshare", role = role,
        state = state, counterparty = "b0b", counterpartyNpub = BOB, termsJson = RIDE,
        terms = rideTerms(place("Bishan MRT", "w21z7"), place("Changi Airport T3", "w21zg"), "12", "car", "Sat 07:30, 2 seats", window = true),
        proposedBy = proposedBy, roundsLeft = 6u,
        theirContact = contact, cancellation = null, expiresAt = NOW + 86_400uL, updatedAt = NOW,
        actions = actions, rated = false, stage = stage, unread = unread, counterpartyBlocked = false, refused = 0u,
    )

    private val CONFIRMED_ACTIONS = listOf(
        DealAction.CANCEL, DealAction.REQUEST_CANCEL, DealAction.SHOW_CODE, DealAction.SCAN_CODE,
        DealAction.RATE, DealAction.CHAT, DealAction.MARK_PICKED_UP, DealAction.MARK_COMPLETED,
    )
    private const val CONTACT = "Alice Lim, +65 9123 4821"

    val onboarding = OnboardingViewModel.State(step = OnboardingViewModel.Step.WELCOME)
    val restore = OnboardingViewModel.State(step = OnboardingViewModel.Step.RESTORE)

    /** Browsing rideshare, in [locale]'s market texts (see [markets]). */
    fun browse(locale: String?) = BrowseViewModel.State(
        markets = markets(locale), market = rideshareIn(locale), precision = 5, area = "w21z7",
        areaSource = BrowseViewModel.AreaSource.LOCATION, radius = 1,
        intents = listOf(
            intent("i1", "Bishan → Changi, Saturday early", RIDE, RIDE_TERMS, badge(Verdict.TRUSTED, 14u, 9u, 4u, verifiedBy = 3u), window = true),
            intent(
                "i2", "Need a ride to Jurong East",
                """{"from":{"name":"Toa Payoh","geohash":"w21z6"},"to":{"name":"Jurong East","geohash":"w21z3"},"payment":"SGD 9","note":"Weekdays 8:00"}""",
                rideTerms(place("Toa Payoh", "w21z6"), place("Jurong East", "w21z3"), "9", note = "Weekdays 8:00"),
                badge(Verdict.UNKNOWN, 0u, 0u, 0u, newAccount = true), side = IntentSide.REQUEST,
            ),
            intent(
                "i3", "Daily carpool to one-north",
                """{"from":{"name":"Ang Mo Kio","geohash":"w21zd"},"to":{"name":"one-north","geohash":"w21z4"},"category":"van","payment":"SGD 6"}""",
                rideTerms(place("Ang Mo Kio", "w21zd"), place("one-north", "w21z4"), "6", "van"),
                badge(Verdict.WARNING, 31u, 29u, 0u, newAccount = true),
            ),
        ),
    )

    private fun invalid(path: String, rule: Rule) =
        UiError(UiError.Kind.INVALID_INPUT, field = path, violations = listOf(FieldViolation(path, rule)))

    /**
     * The form half filled: no drop-off place yet, and an area typed with a letter geohashes never
     * use; a time given (Saturday 07:00–08:00 in Singapore, give or take 15 minutes).
     */
    fun post(locale: String?) = PostIntentViewModel.State(
        market = rideshareIn(locale), fields = rideshareIn(locale).form, side = IntentSide.OFFER, title = "Bishan → Changi, Saturday early",
        values = mapOf(
            "/from" to FieldValue.Place("Bishan MRT", "w21z7"),
            "/to" to FieldValue.Place("", ""),
            "/category" to FieldValue.Text("car"),
            "/payment" to FieldValue.Text("SGD 12"),
            "/note" to FieldValue.Text("Sat 07:30, 2 seats"),
        ),
        geohash = "w21za",
        window = PostIntentViewModel.Window(start = 1_780_095_600, end = 1_780_099_200),
        flexMinutes = 15u,
        zone = java.time.ZoneId.of("Asia/Singapore"),
        fieldErrors = mapOf(
            "/to" to invalid("/to", Rule.Required),
            "geohash" to invalid("geohash", Rule.BadFormat(Format.GEOHASH)),
        ),
    )

    private val quoteActions = listOf(DealAction.PICK, DealAction.COUNTER, DealAction.CANCEL, DealAction.CHAT)

    val quotes get() = QuotesViewModel.State(
        intent = intent("i1", "Bishan → Changi, Saturday early", RIDE, RIDE_TERMS, null, mine = true, window = true),
        quotes = listOf(
            QuoteView(deal(DealState.OPEN, quoteActions, role = DealRole.OWNER), screening("trusted")),
            QuoteView(
                deal(DealState.OPEN, quoteActions, role = DealRole.OWNER).copy(
                    nego = "n2", termsJson = RIDE.replace("SGD 12", "SGD 10"),
                    terms = rideTerms(place("Bishan MRT", "w21z7"), place("Changi Airport T3", "w21zg"), "10", "car", "Sat 07:30, 2 seats", window = true),
                ),
                screening("unknown"),
            ),
        ),
        pickable = setOf("n1", "n2"),
    )

    val mine get() = MyIntentsViewModel.State(
        intents = listOf(intent("i1", "Bishan → Changi, Saturday early", RIDE, RIDE_TERMS, null, mine = true, window = true)),
        deals = listOf(
            deal(DealState.CONFIRMED, CONFIRMED_ACTIONS, contact = CONTACT, stage = DealStage.PICKED_UP, unread = 2u),
            deal(DealState.OPEN, quoteActions, role = DealRole.OWNER).copy(nego = "n2", intentTitle = "IKEA bookshelf, Tampines"),
        ),
    )

    private fun thread(d: DealView, edits: Map<String, String> = emptyMap(), refusals: List<RefusalView> = emptyList()) =
        NegotiationViewModel.State(
            deal = d, terms = d.terms, edits = edits, actions = d.actions,
            contact = d.theirContact, refusals = refusals,
        )

    private fun msg(text: String, fromMe: Boolean, minutesAgo: Int) =
        ChatMessageView(text, fromMe, NOW - (minutesAgo * 60).toULong(), unread = false)

    /** Negotiating: they countered; ours to accept, counter (a payment edit typed) or leave. */
    val deal get() = thread(
        deal(DealState.OPEN, listOf(DealAction.ACCEPT, DealAction.COUNTER, DealAction.CANCEL, DealAction.CHAT)),
        edits = mapOf("/payment" to "SGD 10"),
    )
    val dealChat = DealChatViewModel.State(
        messages = listOf(msg("Can you pick me up at exit B instead?", fromMe = false, minutesAgo = 12)),
        loaded = true,
    )

    /** Confirmed: contact shown, the next steps, the chat, and one message of theirs refused. */
    val dealConfirmed get() = thread(
        deal(DealState.CONFIRMED, CONFIRMED_ACTIONS, contact = CONTACT).copy(refused = 1u),
        refusals = listOf(
            RefusalView(RefusalCode.STALE_ACCEPT, null, "n1", "b0b", BOB, NOW - 600uL, "accept of terms not on the table"),
        ),
    )
    val dealConfirmedChat = DealChatViewModel.State(
        messages = listOf(
            msg("Confirmed, see you Saturday!", fromMe = true, minutesAgo = 40),
            msg("Blue Corolla, plate SGX 1234 A. I'll wait at exit B.", fromMe = false, minutesAgo = 35),
            msg("Great, I have one small suitcase.", fromMe = true, minutesAgo = 30),
        ),
        draft = "On my way",
        loaded = true,
    )

    /** They asked to cancel the confirmed deal: keep it or agree. */
    val dealCancelAsked get() = thread(
        deal(
            DealState.CANCEL_REQUESTED_BY_THEM,
            listOf(
                DealAction.CANCEL, DealAction.AGREE_CANCEL, DealAction.DECLINE_CANCEL,
                DealAction.CHAT, DealAction.MARK_PICKED_UP, DealAction.MARK_COMPLETED,
            ),
            contact = CONTACT,
        ),
    )
    val dealCancelAskedChat = DealChatViewModel.State(
        messages = listOf(msg("Sorry, my flight moved to Sunday. Can we cancel?", fromMe = false, minutesAgo = 5)),
        loaded = true,
    )

    /** Filled by another offer, and the counterparty blocked: nothing left to do but unblock. */
    val dealCancelled get() = thread(
        deal(DealState.CANCELLED, emptyList()).copy(
            cancellation = Cancellation(Party.THEM, CancelReason.Filled),
            counterpartyBlocked = true,
        ),
    )
    val dealCancelledChat = DealChatViewModel.State(
        messages = listOf(msg("Still available? Last chance, pay me first.", fromMe = false, minutesAgo = 90)),
        loaded = true,
    )

    fun meetShow() = MeetViewModel.State(
        deal = deal(DealState.CONFIRMED, CONFIRMED_ACTIONS, contact = CONTACT), mode = MeetViewModel.Mode.SHOW,
        code = MeetCodeView(
            nego = "n1", token = "fpm1", png = qr("freeport:meet:v1:n1:7f3a9c0e5b2d4a6f8e1c3b5d7f9a2c4e"), svg = "", terminal = "",
            qrVersion = 4u, createdAt = NOW, expiresAt = NOW + 120uL, refreshAt = NOW + 60uL,
        ),
        secondsToRefresh = 42,
    )

    /** The scanner's side when done: the core's four words (its fixed English list) and the return code. */
    fun meetDone() = MeetViewModel.State(
        deal = deal(DealState.MET, listOf(DealAction.RATE, DealAction.CHAT), contact = CONTACT), mode = MeetViewModel.Mode.DONE,
        outcome = MeetOutcomeView(
            nego = "n1", counterparty = "npub1", sasWords = listOf("anchor", "cactus", "lantern", "zebra"),
            returnToken = "fpr1", returnPng = qr("freeport:ret:v1:n1:2c4e6a8b0d1f3a5c7e9b2d4f6a8c0e1b"),
            state = DealState.MET, queuedEvents = 0u,
        ),
    )

    val meetScan = MeetViewModel.State(
        deal = deal(DealState.CONFIRMED, CONFIRMED_ACTIONS), mode = MeetViewModel.Mode.SCAN,
        hint = UiError(UiError.Kind.INVALID_CODE, codeProblem = CodeProblem.NoCode),
    )

    val rate = RateViewModel.State(
        deal = deal(DealState.MET, listOf(DealAction.RATE, DealAction.CHAT, DealAction.MARK_COMPLETED), contact = CONTACT),
        safe = true, reliable = null, score = 2, reachedNumber = true, canAttestNumber = true,
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
        phoneStatus = PhoneStatus.VerifiedBy(3u), profileCode = qr("nostr:$ALICE"),
    )

    /** Three relay lists, one refused entry typed into "read from", the privacy switch on, one blocked key. */
    val settings = SettingsViewModel.State(
        identity = IdentityView("a11ce", ALICE),
        relayStatus = listOf(
            RelayStatusView("wss://relay.damus.io", true),
            RelayStatusView("wss://nos.lol", false),
            RelayStatusView("wss://inbox.nostr.wine", true),
        ),
        relays = RelaySettingsView(
            read = listOf("wss://relay.damus.io", "wss://nos.lol"),
            write = listOf("wss://relay.damus.io"),
            inbox = listOf("wss://inbox.nostr.wine"),
            index = listOf("wss://purplepag.es"),
            saved = true, published = true, overridden = false,
        ),
        drafts = mapOf(RelayListRole.READ to "ws://192.168.1.20:7777"),
        violations = listOf(RelayViolationRecord(RelayListRole.READ, 2u, "ws://192.168.1.20:7777", RelayUrlRule.PrivateAddress)),
        outboxPending = 2,
        requireNip17 = true,
        blocked = listOf(BlockedView("5y6", CHEN, "Best Deals SG", NOW - 86_400uL)),
        coreVersion = "0.1.0",
        notices = NoticeSettings(deals = true, ratings = false, safety = true),
    )
}
