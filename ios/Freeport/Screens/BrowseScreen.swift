import SwiftUI
import FreeportCore
import FreeportViewModels

/// Markets and "near me": pick a market and an area, list live intents with screening badges.
struct BrowseScreen: View {
    let app: AppModel
    @State private var model: BrowseModel
    @State private var typedArea = ""
    @State private var locating = false
    @State private var posting: MarketView?
    @Environment(AppEnvironment.self) private var environment

    init(app: AppModel, model: BrowseModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        List {
            Section {
                Picker("Market", selection: $model.market) {
                    ForEach(model.markets, id: \.topic) { m in Text(m.title).tag(Optional(m.topic)) }
                }
                Picker("Area size", selection: $model.precision) {
                    ForEach(BrowseModel.precisions, id: \.precision) { p in
                        // The cell size in the locale's unit words and digits ("39 km", "٣٩ كم").
                        Text("About \(Measurement(value: p.approxKm, unit: UnitLength.kilometers), format: .measurement(width: .abbreviated, usage: .asProvided, numberFormatStyle: .number.precision(.fractionLength(0...1))))").tag(p.precision)
                    }
                }
                Button {
                    Task { await useMyLocation() }
                } label: {
                    Label(locating ? "Finding you…" : "Near me", systemImage: "location")
                }
                .disabled(locating)
                TextField("Or type an area (geohash)", text: $typedArea)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                    .onSubmit { model.useTypedArea(typedArea); Task { await model.refresh() } }
                if let area = model.area {
                    LabeledContent("Area", value: area)
                        .accessibilityElement(children: .ignore)
                        .accessibilityLabel(Text("Searching area \(area)"))
                }
                ProblemText(problem: model.error)
            }
            Section("Posts") {
                if model.intents.isEmpty && !model.loading {
                    Text("Nothing here yet. Try a larger area, or post what you need.").foregroundStyle(.secondary)
                }
                ForEach(model.intents, id: \.id) { intent in
                    NavigationLink {
                        IntentDetailScreen(app: app, model: IntentDetailModel(core: app.core, intent: intent))
                    } label: {
                        IntentRow(intent: intent)
                    }
                }
            }
        }
        .navigationTitle("Browse")
        .toolbar {
            if let topic = model.market, let market = model.markets.first(where: { $0.topic == topic }) {
                Button { posting = market } label: { Label("Post", systemImage: "plus") }
            }
        }
        .sheet(item: $posting) { market in
            NavigationStack { PostIntentScreen(model: PostIntentModel(core: app.core, market: market)) }
        }
        .refreshable { await model.refresh() }
        .task {
            await model.loadMarkets()
            await model.refresh()
        }
        .onChange(of: model.market) { Task { await model.refresh() } }
        .onChange(of: app.marketsRevision) { Task { await model.refresh() } }
        .onChange(of: app.languagesRevision) { Task { await model.loadMarkets() } }
        .overlay { if model.loading && model.intents.isEmpty { ProgressView() } }
    }

    private func useMyLocation() async {
        locating = true
        defer { locating = false }
        if let here = await environment.location.current() {
            model.useLocation(latitude: here.latitude, longitude: here.longitude)
            await model.refresh()
        }
    }
}

extension MarketView: @retroactive Identifiable {
    public var id: String { topic }
}

/// One intent in a list: title, side, author's badge and verdict.
struct IntentRow: View {
    let intent: IntentView

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                Text(intent.side == .offer ? "Offer" : "Request")
                    .font(.caption.bold())
                    .padding(.horizontal, 6).padding(.vertical, 2)
                    .background(.tint.opacity(0.15), in: Capsule())
                Text(intent.title).font(.headline)
            }
            if let badge = intent.badge { VerdictBadge(badge: badge) }
            Text("Expires \(Formats.relative(intent.expiresAt))")
                .font(.footnote).foregroundStyle(.secondary)
        }
        .accessibilityElement(children: .combine)
    }
}

/// The author's screening line, coloured by verdict, with a symbol so colour is not the only cue.
struct VerdictBadge: View {
    let badge: Badge

    var body: some View {
        Label {
            Text(Words.badge(badge)).font(.footnote)
        } icon: {
            Image(systemName: symbol).foregroundStyle(color)
        }
        .accessibilityLabel(Text("\(Words.verdict(badge.verdict)). \(Words.badge(badge))"))
    }

    private var symbol: String {
        switch badge.verdict {
        case .trusted: "checkmark.seal.fill"
        case .caution: "exclamationmark.circle"
        case .warning: "exclamationmark.triangle.fill"
        case .unknown: "questionmark.circle"
        }
    }

    private var color: Color {
        switch badge.verdict {
        case .trusted: .green
        case .caution: .orange
        case .warning: .red
        case .unknown: .secondary
        }
    }
}

/// Someone else's intent: terms, the author's card, respond.
struct IntentDetailScreen: View {
    let app: AppModel
    @State private var model: IntentDetailModel
    @State private var counterPayment = ""

    init(app: AppModel, model: IntentDetailModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            Section(model.intent.title) {
                ForEach(model.rows) { row in TermLine(row: row) }
                if let window = model.window { LabeledContent("When", value: window) }
            }
            Section("Who posted it") {
                if let card = model.screening { ScreeningCard(card: card) } else { ProgressView() }
            }
            if let deal = model.deal {
                Section {
                    NavigationLink("Open the conversation") {
                        NegotiationScreen(app: app, model: NegotiationModel(core: app.core, deal: deal))
                    }
                }
            } else if model.canRespond {
                Section {
                    Button("Accept as posted") { Task { await model.acceptAsPosted() } }
                        .buttonStyle(.borderedProminent)
                    Text("Accepting shares your contact with them once they confirm.").font(.footnote).foregroundStyle(.secondary)
                }
                Section("Or propose a price") {
                    TextField("Payment, e.g. SGD 12", text: $counterPayment)
                    Button("Propose") { Task { await model.propose(["payment": counterPayment]) } }
                        .disabled(counterPayment.trimmingCharacters(in: .whitespaces).isEmpty)
                }
            }
            ProblemText(problem: model.error)
        }
        .disabled(model.busy)
        .navigationTitle("Post")
        .task { await model.loadScreening() }
    }
}
