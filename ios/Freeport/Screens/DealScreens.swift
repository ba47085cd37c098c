import SwiftUI
import FreeportCore
import FreeportViewModels

/// The user's own posts; each opens its quotes.
struct MyIntentsScreen: View {
    let app: AppModel
    @State private var model: MyIntentsModel

    init(app: AppModel, model: MyIntentsModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        List {
            ProblemText(problem: model.error)
            if model.intents.isEmpty {
                Text("You have not posted anything yet.").foregroundStyle(.secondary)
            }
            ForEach(model.intents, id: \.id) { intent in
                NavigationLink {
                    QuotesScreen(app: app, model: QuotesModel(core: app.core, intentId: intent.id))
                        .navigationTitle(intent.title)
                } label: {
                    VStack(alignment: .leading) {
                        Text(intent.title).font(.headline)
                        if intent.withdrawn { Text("Withdrawn").font(.footnote).foregroundStyle(.secondary) }
                    }
                }
                .swipeActions {
                    if !intent.withdrawn {
                        Button("Withdraw", role: .destructive) { Task { await model.withdraw(intent.id) } }
                    }
                }
            }
        }
        .navigationTitle("My posts")
        .task { await model.refresh() }
        .refreshable { await model.refresh() }
        .onChange(of: app.dealsRevision) { Task { await model.refresh() } }
    }
}

/// Quotes side by side with each responder's screening card; pick one, or block the person
/// behind one (after a confirmation; the core then leaves their quotes out).
struct QuotesScreen: View {
    let app: AppModel
    @State private var model: QuotesModel
    @State private var blocking: QuoteView?

    init(app: AppModel, model: QuotesModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        List {
            ProblemText(problem: model.error)
            if let picked = model.picked {
                NavigationLink("Picked — open the deal") {
                    NegotiationScreen(app: app, model: NegotiationModel(core: app.core, deal: picked))
                }
            }
            if model.quotes.isEmpty { Text("No quotes yet. You will be notified.").foregroundStyle(.secondary) }
            ForEach(model.quotes, id: \.deal.nego) { quote in
                Section {
                    ForEach(TermRow.rows(quote.deal.terms)) { row in TermLine(row: row) }
                    ScreeningCard(card: quote.screening)
                    HStack {
                        NavigationLink("Talk") {
                            NegotiationScreen(app: app, model: NegotiationModel(core: app.core, deal: quote.deal))
                        }
                        Spacer()
                        // Offered only where the core offers it (one pick per intent).
                        if quote.deal.actions.contains(.pick) {
                            Button("Pick") { Task { await model.pick(quote.deal.nego) } }
                                .buttonStyle(.borderedProminent)
                                .disabled(model.busy)
                        } else {
                            Text(Words.state(quote.deal.state)).font(.footnote).foregroundStyle(.secondary)
                        }
                    }
                    // The user's own choice about a key, possible at any time (as on the deal
                    // screen and a screening card).
                    Button("Block them", role: .destructive) { blocking = quote }
                        .disabled(model.busy)
                }
            }
        }
        .blockConfirmation($blocking, who: { $0.screening.name ?? shortKey($0.screening.subjectNpub) }) { quote in
            Task { await model.block(quote.deal.nego) }
        }
        .task { await model.refresh() }
        .onChange(of: app.dealsRevision) { Task { await model.refresh() } }
    }
}

extension View {
    /// "Block Bob?" before blocking the person in `item` (a quote, a deal's counterparty, a
    /// screened key), shown while `item` is set: blocking hides their quotes and drops what they
    /// send, silently, so it is never one stray tap. Unblocking needs no question.
    func blockConfirmation<Item>(_ item: Binding<Item?>, who: @escaping (Item) -> String, onBlock: @escaping (Item) -> Void) -> some View {
        let name = item.wrappedValue.map(who) ?? ""
        return confirmationDialog(
            Text("Block \(name)?"),
            isPresented: Binding(get: { item.wrappedValue != nil }, set: { if !$0 { item.wrappedValue = nil } }),
            titleVisibility: .visible,
            presenting: item.wrappedValue
        ) { it in
            Button("Block them", role: .destructive) { onBlock(it) }
        } message: { _ in
            Text("Their quotes disappear and nothing they send reaches you. They are not told. You can unblock them in Settings.")
        }
    }
}

/// Every thread, those needing the user first.
struct DealsScreen: View {
    let app: AppModel
    @State private var model: DealsModel

    init(app: AppModel, model: DealsModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        List {
            ProblemText(problem: model.error)
            if !model.needsAttention.isEmpty {
                Section("Needs you") { rows(model.needsAttention) }
            }
            Section("All deals") { rows(model.deals) }
        }
        .navigationTitle("Deals")
        .task { await model.refresh() }
        .refreshable { await model.refresh() }
        .onChange(of: app.dealsRevision) { Task { await model.refresh() } }
        // The deal a tapped notification names.
        .navigationDestination(item: Bindable(app).requestedDeal) { nego in
            NegotiationScreen(app: app, model: NegotiationModel(core: app.core, nego: nego))
        }
    }

    private func rows(_ deals: [DealView]) -> some View {
        ForEach(deals, id: \.nego) { deal in
            NavigationLink {
                NegotiationScreen(app: app, model: NegotiationModel(core: app.core, deal: deal))
            } label: {
                VStack(alignment: .leading) {
                    Text(deal.intentTitle).font(.headline)
                    Text(Words.state(deal.state)).font(.footnote).foregroundStyle(.secondary)
                    if let stage = deal.stage {
                        Text(Words.stage(stage)).font(.footnote).foregroundStyle(.secondary)
                    }
                    if deal.unread > 0 {
                        Text("\(Int(deal.unread)) new messages").font(.footnote.bold()).foregroundStyle(.tint)
                    }
                }
                .accessibilityElement(children: .combine)
            }
        }
    }
}

/// One thread: where it stands, an answer to their request to cancel, terms and rounds left,
/// contact after confirmation, and a button for exactly each move the core offers now (accept or
/// pick, counter, meet, rate, report progress, ask / agree / decline to cancel, cancel); the
/// chat; what the core refused from them; blocking them.
struct NegotiationScreen: View {
    let app: AppModel
    @State private var model: NegotiationModel
    @State private var confirmCancel = false
    /// The counterparty's key while "Block …?" is asked.
    @State private var blocking: String?

    init(app: AppModel, model: NegotiationModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            if let deal = model.deal {
                Section {
                    Text(Words.state(deal.state)).font(.headline)
                    if let stage = deal.stage { LabeledContent("Progress", value: Words.stage(stage)) }
                    if let c = deal.cancellation { Text(Words.cancellation(c)).foregroundStyle(.secondary) }
                    if deal.counterpartyBlocked {
                        Text("You blocked them: nothing they send reaches you, and they are not told.").foregroundStyle(.red)
                    }
                }
                // Their request to cancel waits for an answer: first.
                if model.offers(.agreeCancel) || model.offers(.declineCancel) {
                    Section("They ask to cancel") {
                        if model.offers(.declineCancel) {
                            Button("Keep the deal") { Task { await model.declineCancel() } }
                        }
                        if model.offers(.agreeCancel) {
                            Button("Agree to cancel", role: .destructive) { Task { await model.agreeCancel() } }
                        }
                    }
                }
                Section {
                    Text(deal.proposedBy == .us ? "Your proposal" : "Their proposal").foregroundStyle(.secondary)
                    ForEach(model.terms) { row in TermLine(row: row) }
                    Text("\(Int(deal.roundsLeft)) rounds left").font(.footnote).foregroundStyle(.secondary)
                }
                Section {
                    // Screening from a deal: their card from this user's own position.
                    NavigationLink {
                        CounterpartyScreen(app: app, subject: deal.counterparty)
                    } label: {
                        Label("Check who you are dealing with", systemImage: "checkmark.shield")
                    }
                    // The meetup check-in: the screen shows what the core allows (or why not).
                    if let checkins = app.checkinCore {
                        NavigationLink {
                            DealCheckinScreen(model: DealCheckinModel(core: checkins, nego: deal.nego))
                        } label: {
                            Label("Safety check-in", systemImage: "person.badge.clock")
                        }
                    }
                }
                if let contact = model.contact {
                    Section("Their contact") {
                        // A phone number has no letters to give it a direction: isolate it left to right.
                        Text(Formats.ltr(contact)).textSelection(.enabled)
                    }
                } else {
                    Section { Text("Their contact appears here once you both confirm.").foregroundStyle(.secondary) }
                }
                if model.offers(.accept) {
                    Button("Accept these terms") { Task { await model.accept() } }.buttonStyle(.borderedProminent)
                }
                if model.offers(.pick) {
                    Button("Pick this offer") { Task { await model.pick() } }.buttonStyle(.borderedProminent)
                }
                if model.offers(.counter) {
                    Section("Counter-proposal") {
                        // One field per term text can edit, labelled as the market labels it.
                        ForEach(model.terms.filter { $0.editText != nil }) { row in
                            let value = Binding(get: { model.draft[row.path] ?? "" }, set: { model.draft[row.path] = $0 })
                            if row.options.isEmpty {
                                TextField(row.label ?? "", text: value)
                            } else {
                                // A select is picked from the market's options, never typed.
                                Picker(row.label ?? "", selection: value) {
                                    ForEach(row.options, id: \.value) { o in Text(o.label).tag(o.value) }
                                }
                            }
                        }
                        Button("Send counter-proposal") { Task { await model.counter() } }
                    }
                }
                if model.offers(.showCode) || model.offers(.scanCode) {
                    Section("Meet up") {
                        if model.offers(.showCode) {
                            NavigationLink("Show my code") { MeetShowScreen(model: MeetShowModel(core: app.core, nego: deal.nego)) }
                        }
                        if model.offers(.scanCode) {
                            NavigationLink("Scan their code") { MeetScanScreen(model: MeetScanModel(core: app.core)) }
                        }
                    }
                }
                if model.offers(.rate) {
                    NavigationLink("Rate this deal") { RateScreen(model: RateModel(core: app.core, nego: deal.nego)) }
                }
                if model.offers(.markPickedUp) || model.offers(.markCompleted) {
                    Section("Progress") {
                        if model.offers(.markPickedUp) {
                            Button("Mark picked up") { Task { await model.markPickedUp() } }
                        }
                        if model.offers(.markCompleted) {
                            Button("Mark completed") { Task { await model.markCompleted() } }
                        }
                    }
                }
                NavigationLink {
                    ChatScreen(app: app, model: ChatModel(core: app.core, nego: deal.nego), deal: model)
                } label: {
                    Label(deal.unread > 0 ? "Messages (\(Int(deal.unread)) new)" : "Messages", systemImage: "bubble.left.and.bubble.right")
                }
                if !model.refusals.isEmpty {
                    Section("Not accepted from them") {
                        ForEach(Array(model.refusals.enumerated()), id: \.offset) { _, r in Text(Words.refusal(r.code)) }
                    }
                }
                if model.offers(.cancel) || model.offers(.requestCancel) {
                    Section {
                        TextField("Reason (optional)", text: $model.cancelReason)
                        if model.offers(.requestCancel) {
                            Button("Ask them to cancel") { Task { await model.requestCancel() } }
                        }
                        if model.offers(.cancel) {
                            Button("Cancel the deal", role: .destructive) { confirmCancel = true }
                        }
                    }
                }
                Section {
                    // The user's own choice about a key, possible at any time; the core drops what
                    // a blocked key sends, silently.
                    Button(deal.counterpartyBlocked ? "Unblock them" : "Block them", role: deal.counterpartyBlocked ? nil : .destructive) {
                        if deal.counterpartyBlocked { Task { await model.setBlocked(false) } } else { blocking = deal.counterpartyNpub }
                    }
                }
                .blockConfirmation($blocking, who: { shortKey($0) }) { _ in
                    Task { await model.setBlocked(true) }
                }
            } else {
                ProgressView()
            }
            ProblemText(problem: model.error)
        }
        .disabled(model.busy)
        .navigationTitle(model.deal?.intentTitle ?? "")
        .confirmationDialog("Cancel this deal?", isPresented: $confirmCancel) {
            Button("Cancel the deal", role: .destructive) { Task { await model.cancel() } }
        }
        .task { await model.refresh() }
        .onChange(of: app.dealsRevision) { Task { await model.refresh() } }
    }
}

/// The counterparty's screening card, opened from a deal (no key to type or scan).
struct CounterpartyScreen: View {
    let app: AppModel
    let subject: String
    @State private var model: ScreenModel
    /// Who is named in "Block …?" while it is asked.
    @State private var blocking: String?

    init(app: AppModel, subject: String) {
        self.app = app
        self.subject = subject
        _model = State(initialValue: ScreenModel(core: app.core))
    }

    var body: some View {
        Form {
            if let card = model.card {
                Section("Result") { ScreeningCard(card: card) }
                Section {
                    if card.blocked {
                        Text("You blocked them: nothing they send reaches you, and they are not told.").foregroundStyle(.red)
                    }
                    Button(card.blocked ? "Unblock them" : "Block them", role: card.blocked ? nil : .destructive) {
                        if card.blocked { Task { await model.setBlocked(false) } } else { blocking = card.name ?? shortKey(card.subjectNpub) }
                    }
                }
                .blockConfirmation($blocking, who: { $0 }) { _ in
                    Task { await model.setBlocked(true) }
                }
                if !model.path.isEmpty {
                    Section("How you are connected") { ConnectionPath(steps: model.path) }
                }
            } else if model.busy {
                ProgressView()
            }
            ProblemText(problem: model.error)
        }
        .navigationTitle("Check someone")
        .task { await model.screen(subject: subject) }
        .onChange(of: app.screeningRevision) { Task { await model.screen(subject: subject) } }
    }
}

/// The chat of a deal: messages, theirs leading and mine trailing, and the message field while
/// the core offers `.chat` on the deal (not to a blocked key, not on a closed deal). The core's
/// refusal of a message shows under the field, which keeps the draft.
struct ChatScreen: View {
    let app: AppModel
    @State private var model: ChatModel
    let deal: NegotiationModel

    init(app: AppModel, model: ChatModel, deal: NegotiationModel) {
        self.app = app
        self.deal = deal
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            Section {
                if model.loaded && model.messages.isEmpty { Text("No messages yet.").foregroundStyle(.secondary) }
                ForEach(Array(model.messages.enumerated()), id: \.offset) { _, m in
                    VStack(alignment: m.fromMe ? .trailing : .leading) {
                        Text(m.fromMe ? "You" : "Them").font(.caption).foregroundStyle(.secondary)
                        Text(m.text)
                    }
                    .frame(maxWidth: .infinity, alignment: m.fromMe ? .trailing : .leading)
                    .accessibilityElement(children: .combine)
                }
            }
            if deal.offers(.chat) {
                Section {
                    TextField("Write a message", text: $model.draft, axis: .vertical)
                    Button("Send") { Task { await model.send() } }
                        .disabled(model.draft.isEmpty || model.busy)
                }
            }
            ProblemText(problem: model.error)
        }
        .navigationTitle("Messages")
        .task { await model.refresh() }
        .onChange(of: app.dealsRevision) { Task { await model.refresh(); await deal.refresh() } }
    }
}

/// One term as the core typed it: the market's label (as its author wrote it) and the value in
/// the user's locale, or the app's own "When" for the time window.
struct TermLine: View {
    let row: TermRow

    var body: some View {
        if let label = row.label {
            LabeledContent(label, value: row.text)
        } else {
            LabeledContent("When", value: row.text)
        }
    }
}
