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

/// Quotes side by side with each responder's screening card; pick one.
struct QuotesScreen: View {
    let app: AppModel
    @State private var model: QuotesModel

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
            if model.open.isEmpty { Text("No quotes yet. You will be notified.").foregroundStyle(.secondary) }
            ForEach(model.open, id: \.deal.nego) { quote in
                Section {
                    ForEach(JSONText.rows(quote.deal.termsJson)) { row in
                        LabeledContent(row.key.capitalized, value: row.text)
                    }
                    ScreeningCard(card: quote.screening)
                    HStack {
                        NavigationLink("Talk") {
                            NegotiationScreen(app: app, model: NegotiationModel(core: app.core, deal: quote.deal))
                        }
                        Spacer()
                        Button("Pick") { Task { await model.pick(quote.deal.nego) } }
                            .buttonStyle(.borderedProminent)
                            .disabled(model.busy || model.picked != nil)
                    }
                }
            }
        }
        .task { await model.refresh() }
        .onChange(of: app.dealsRevision) { Task { await model.refresh() } }
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
                    Text(StateText.word(deal.state)).font(.footnote).foregroundStyle(.secondary)
                }
                .accessibilityElement(children: .combine)
            }
        }
    }
}

/// Words for the core's state labels.
enum StateText {
    static func word(_ state: String) -> LocalizedStringKey {
        switch state {
        case "open": "Negotiating"
        case "accepted_by_us": "You accepted — waiting for them"
        case "accepted_by_them": "They accepted — your turn"
        case "confirmed": "Confirmed — meet up"
        case "cancel_requested": "Cancellation requested"
        case "met": "Met — rate them"
        case "completed": "Completed"
        case "cancelled": "Cancelled"
        case "expired": "Expired"
        default: "Unknown state"
        }
    }
}

/// One thread: terms, counter / accept / cancel, rounds left, contact after confirmation,
/// then meet and rate.
struct NegotiationScreen: View {
    let app: AppModel
    @State private var model: NegotiationModel
    @State private var confirmCancel = false

    init(app: AppModel, model: NegotiationModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            if let deal = model.deal {
                Section {
                    Text(StateText.word(deal.state)).font(.headline)
                    Text(deal.proposedBy == "us" ? "Your proposal" : "Their proposal").foregroundStyle(.secondary)
                    ForEach(model.terms) { row in LabeledContent(row.key.capitalized, value: row.text) }
                    Text("\(Int(deal.roundsLeft)) rounds left").font(.footnote).foregroundStyle(.secondary)
                }
                Section {
                    // Screening from a deal: their card from this user's own position.
                    NavigationLink {
                        CounterpartyScreen(app: app, subject: deal.counterparty)
                    } label: {
                        Label("Check who you are dealing with", systemImage: "checkmark.shield")
                    }
                }
                if let contact = model.contact {
                    Section("Their contact") {
                        Text(contact).textSelection(.enabled)
                    }
                } else {
                    Section { Text("Their contact appears here once you both confirm.").foregroundStyle(.secondary) }
                }
                if model.canAccept {
                    Button("Accept these terms") { Task { await model.accept() } }.buttonStyle(.borderedProminent)
                }
                if model.canCounter {
                    Section("Counter-proposal") {
                        ForEach(model.draft.keys.sorted(), id: \.self) { key in
                            TextField(key.capitalized, text: Binding(get: { model.draft[key] ?? "" }, set: { model.draft[key] = $0 }))
                        }
                        Button("Send counter-proposal") { Task { await model.counter() } }
                    }
                }
                if deal.canMeet {
                    Section("Meet up") {
                        NavigationLink("Show my code") { MeetShowScreen(model: MeetShowModel(core: app.core, nego: deal.nego)) }
                        NavigationLink("Scan their code") { MeetScanScreen(model: MeetScanModel(core: app.core)) }
                    }
                }
                if deal.canRate {
                    NavigationLink("Rate this deal") { RateScreen(model: RateModel(core: app.core, nego: deal.nego)) }
                }
                if model.canCancel {
                    Section {
                        TextField("Reason (optional)", text: $model.cancelReason)
                        Button("Cancel the deal", role: .destructive) { confirmCancel = true }
                    }
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

    init(app: AppModel, subject: String) {
        self.app = app
        self.subject = subject
        _model = State(initialValue: ScreenModel(core: app.core))
    }

    var body: some View {
        Form {
            if let card = model.card {
                Section("Result") { ScreeningCard(card: card) }
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
