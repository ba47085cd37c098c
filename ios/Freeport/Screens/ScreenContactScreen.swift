import SwiftUI
import FreeportCore
import FreeportViewModels

/// Screen a contact: paste an npub or scan their profile QR; verdict, counts, reasons, path.
struct ScreenContactScreen: View {
    let app: AppModel
    @State private var model: ScreenModel
    @State private var scanning = false
    /// Who is named in "Block …?" while it is asked.
    @State private var blocking: String?

    init(app: AppModel, model: ScreenModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            Section {
                TextField("Their public key (npub1…)", text: $model.input, axis: .vertical)
                    .textInputAutocapitalization(.never).autocorrectionDisabled()
                    .font(.body.monospaced())
                if let problem = model.keyProblem {
                    Text(Words.rule(problem)).font(.footnote).foregroundStyle(.red)
                }
                HStack {
                    Button("Check") { Task { await model.screen() } }.buttonStyle(.borderedProminent)
                    Spacer()
                    Button { scanning = true } label: { Label("Scan their profile code", systemImage: "qrcode.viewfinder") }
                }
            }
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
                if !card.raters.isEmpty {
                    Section("Who counted") {
                        ForEach(card.raters, id: \.pubkey) { r in
                            LabeledContent(shortKey(r.pubkey), value: r.weight.formatted(.number.precision(.fractionLength(2))))
                        }
                    }
                }
            }
            ProblemText(problem: model.error)
        }
        .disabled(model.busy)
        .navigationTitle("Check someone")
        .sheet(isPresented: $scanning) {
            CameraScanner { text in
                scanning = false
                model.input = text
                Task { await model.screen() }
            } onFrame: { _ in }
        }
        .onChange(of: app.screeningRevision) {
            if let subject = model.card?.subject { Task { await model.screen(subject: subject) } }
        }
    }
}

/// The screening card: verdict, counts, reasons, phone status.
struct ScreeningCard: View {
    let card: ScreeningView

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            HStack {
                Text(card.name ?? shortKey(card.subjectNpub)).font(.headline)
                if card.newAccount { Text("New account").font(.caption).foregroundStyle(.orange) }
            }
            VerdictBadge(badge: card.badge)
            Grid(alignment: .leading, horizontalSpacing: 12, verticalSpacing: 2) {
                GridRow { Text("Deals"); Text(card.deals, format: .number) }
                GridRow { Text("Partners"); Text(card.partners, format: .number) }
                GridRow { Text("In your network"); Text(card.partnersInNetwork, format: .number) }
                GridRow { Text("Met in person"); Text(card.metInPerson, format: .number) }
                GridRow { Text("Phone verified by"); Text(card.verifiedBy, format: .number) }
            }
            .font(.callout)
            ForEach(card.reasons, id: \.self) { reason in
                Text("• \(Words.reason(reason))").font(.footnote).foregroundStyle(.secondary)
            }
            if let phone = card.phone {
                LabeledContent("Phone", value: "\(Formats.ltr(phone)) (\(Words.phoneStatus(card.phoneStatus)))").font(.footnote)
            }
        }
        .accessibilityElement(children: .combine)
    }
}

/// The chain you → … → them, drawn vertically (legible at large text sizes).
struct ConnectionPath: View {
    let steps: [PathStep]
    /// Dot and line sizes follow the text size (Dynamic Type).
    @ScaledMetric(relativeTo: .body) private var dot: CGFloat = 10
    @ScaledMetric(relativeTo: .body) private var link: CGFloat = 24

    var body: some View {
        VStack(alignment: .leading, spacing: 0) {
            ForEach(steps) { step in
                HStack(alignment: .top) {
                    VStack(spacing: 0) {
                        Circle().fill(step.index == 0 ? Color.accentColor : Color.secondary).frame(width: dot, height: dot)
                        if step.index < steps.count - 1 {
                            Rectangle().fill(Color.secondary.opacity(0.5)).frame(width: 2, height: link)
                        }
                    }
                    Text(step.index == 0 ? String(localized: "You") : step.label)
                }
            }
        }
        .accessibilityElement(children: .ignore)
        .accessibilityLabel(Text(steps.map { $0.index == 0 ? String(localized: "You") : $0.label }
            .joined(separator: String(localized: ", then "))))
    }
}
