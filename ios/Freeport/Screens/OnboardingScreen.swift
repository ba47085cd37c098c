import SwiftUI
import FreeportCore
import FreeportViewModels

/// Create a key or restore one; then the backup prompt.
struct OnboardingScreen: View {
    @State private var model: OnboardingModel
    @State private var restoring = false
    let done: (IdentityView) -> Void

    init(model: OnboardingModel, done: @escaping (IdentityView) -> Void) {
        _model = State(initialValue: model)
        self.done = done
    }

    var body: some View {
        NavigationStack {
            Form {
                switch model.step {
                case .choose:
                    chooseSection
                case let .backupPrompt(id):
                    backupSection(id)
                case .done:
                    ProgressView()
                }
                ProblemText(problem: model.error)
            }
            .navigationTitle("Welcome to Freeport")
            .disabled(model.busy)
        }
        .onChange(of: model.step) { _, step in
            if case let .done(id) = step { done(id) }
        }
    }

    @ViewBuilder private var chooseSection: some View {
        Section {
            Text("Trade with people near you, without a platform in between. Your key is your identity: it stays on this phone.")
            Button("Create my key") { Task { await model.create() } }
                .buttonStyle(.borderedProminent)
        }
        Section("Already have a backup?") {
            TextField("Backup (ncryptsec1…)", text: $model.restoreText, axis: .vertical)
                .textInputAutocapitalization(.never)
                .autocorrectionDisabled()
                .font(.body.monospaced())
            SecureField("Backup passphrase", text: $model.restorePassphrase)
            Button("Restore") { Task { await model.restore() } }
                .disabled(!model.canRestore)
        }
    }

    @ViewBuilder private func backupSection(_ id: IdentityView) -> some View {
        Section("Your public key") {
            Text(id.npub).font(.footnote.monospaced()).textSelection(.enabled)
                .accessibilityLabel(Text("Your public key"))
        }
        Section {
            Text("If you lose this phone, a backup is the only way to keep your reputation. It is encrypted with a passphrase you choose.")
            if let backup = model.backupText {
                Text(backup).font(.footnote.monospaced()).textSelection(.enabled)
                ShareLink(item: backup) { Label("Save or share the backup", systemImage: "square.and.arrow.up") }
                Button("Done") { model.finish() }.buttonStyle(.borderedProminent)
            } else {
                SecureField("New passphrase", text: $model.backupPassphrase)
                SecureField("Repeat the passphrase", text: $model.backupConfirmation)
                PassphraseProblemText(violations: model.backupPassphraseViolations, confirming: !model.backupConfirmation.isEmpty)
                Button("Make the backup") { Task { await model.makeBackup() } }
                    .disabled(!model.backupPassphraseViolations.isEmpty)
                Button("Later", role: .cancel) { model.finish() }
            }
        } header: {
            Text("Back up your key")
        }
    }
}

/// Words a passphrase problem.
struct PassphraseProblemText: View {
    /// The core's passphrase rule, as the user types (`checkPassphrase`).
    let violations: [FieldViolation]
    /// The confirmation has been typed into (a mismatch is shown only then).
    var confirming = true

    var body: some View {
        ForEach(Array(shown.enumerated()), id: \.offset) { _, v in
            Text(Words.rule(v.rule)).font(.footnote)
                .foregroundStyle(v.field == "confirmation" ? .red : .secondary)
        }
    }

    private var shown: [FieldViolation] {
        violations.filter { $0.field == "passphrase" || ($0.field == "confirmation" && confirming) }
    }
}
