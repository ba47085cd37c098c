import SwiftUI
import CoreImage.CIFilterBuiltins
import FreeportCore
import FreeportViewModels

/// The user's profile; the phone is published masked unless they accept the permanence warning.
struct ProfileScreen: View {
    let app: AppModel
    @State private var model: ProfileModel
    @Environment(AppEnvironment.self) private var environment

    init(app: AppModel, model: ProfileModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            if let p = model.profile {
                Section("Your public key") {
                    // What "Check someone → Scan their profile code" on the other phone reads.
                    ProfileCode(text: "nostr:\(p.npub)")
                    Text(p.npub).font(.footnote.monospaced()).textSelection(.enabled)
                    ShareLink(item: "nostr:\(p.npub)") { Label("Share", systemImage: "square.and.arrow.up") }
                }
            }
            Section("About you") {
                TextField("Name", text: $model.name).textContentType(.name)
                TextField("About", text: $model.about, axis: .vertical)
            }
            Section {
                if let published = model.publishedPhone {
                    LabeledContent("Published", value: published)
                        .accessibilityLabel(Text("Published phone: \(published)"))
                }
                TextField("New phone number", text: $model.phone)
                    .keyboardType(.phonePad).textContentType(.telephoneNumber)
                Toggle("Publish my full number", isOn: $model.publishFullNumber)
                if let status = model.phoneStatus {
                    LabeledContent("Verification", value: status)
                    LabeledContent("Reached at this number by", value: model.verifiedBy.formatted())
                }
            } header: {
                Text("Phone")
            } footer: {
                Text("By default only a masked number is published. Your full number is shared with a partner only once a deal is confirmed.")
            }
            Section("Vehicle (rideshare)") {
                TextField("Model", text: $model.vehicleModel)
                TextField("Plate", text: $model.plate).textInputAutocapitalization(.characters)
            }
            Button("Save") { Task { await model.save() } }.buttonStyle(.borderedProminent).disabled(model.busy)
            ProblemText(problem: model.error)
            Section {
                NavigationLink("Settings") {
                    SettingsScreen(app: app, model: SettingsModel(
                        core: app.core, relayList: environment.relayList, defaultRelays: environment.defaultRelays
                    ) { [environment] in
                        try await environment.wipe()
                    })
                }
            }
        }
        .navigationTitle("Me")
        .task { await model.load() }
        .alert("Publish your full number?", isPresented: Binding(get: { model.warningPresented }, set: { if !$0 && !model.warningAcknowledged { model.declineWarning() } })) {
            Button("Publish it", role: .destructive) { model.acknowledgeWarning() }
            Button("Keep it masked", role: .cancel) { model.declineWarning() }
        } message: {
            // Verbatim from the core, which checks this exact text was shown.
            Text(verbatim: model.fullNumberWarningText)
        }
    }
}

/// The user's key as a QR code for another phone to scan (drawn on white so it scans in dark
/// mode; CoreImage's generator — the core has no general-purpose QR export, only meet codes).
struct ProfileCode: View {
    let text: String

    var body: some View {
        if let image = Self.render(text) {
            Image(uiImage: image)
                .interpolation(.none)
                .resizable()
                .scaledToFit()
                .frame(maxWidth: 240)
                .padding(12)
                .background(Color.white, in: RoundedRectangle(cornerRadius: 12))
                .frame(maxWidth: .infinity)
                .accessibilityLabel(Text("Your profile code. Others scan it to check you."))
        }
    }

    static func render(_ text: String) -> UIImage? {
        let filter = CIFilter.qrCodeGenerator()
        filter.message = Data(text.utf8)
        filter.correctionLevel = "M"
        guard let output = filter.outputImage?.transformed(by: CGAffineTransform(scaleX: 8, y: 8)),
              let cg = CIContext().createCGImage(output, from: output.extent)
        else { return nil }
        return UIImage(cgImage: cg)
    }
}

/// Relays, pending events, backup, version, wipe.
struct SettingsScreen: View {
    let app: AppModel
    @State private var model: SettingsModel
    @Environment(AppEnvironment.self) private var environment

    init(app: AppModel, model: SettingsModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            if let notices = model.notices {
                Section {
                    Toggle("Deals: quotes, counter-offers, confirmations, meetings", isOn: Binding(
                        get: { notices.deals }, set: { on in Task { await model.setNotices(.deals, on: on) } }))
                    Toggle("Ratings you receive", isOn: Binding(
                        get: { notices.ratings }, set: { on in Task { await model.setNotices(.ratings, on: on) } }))
                    Toggle("Safety alerts", isOn: Binding(
                        get: { notices.safety }, set: { on in Task { await model.setNotices(.safety, on: on) } }))
                } header: {
                    Text("Notifications")
                } footer: {
                    Text("Freeport checks for news in the background when iOS lets it, with no server of its own.")
                }
            }
            Section("Relays") {
                ForEach(model.relays, id: \.url) { r in
                    Label(r.url, systemImage: r.connected ? "circle.fill" : "circle")
                        .foregroundStyle(r.connected ? .green : .secondary)
                        .accessibilityLabel(Text(r.connected ? "\(r.url), connected" : "\(r.url), not connected"))
                }
                LabeledContent("Waiting to send", value: model.pending.count.formatted())
            }
            Section {
                ForEach(model.relayList, id: \.self) { url in
                    Text(url).font(.footnote.monospaced())
                        .swipeActions {
                            if model.relayList.count > 1 {
                                Button("Remove", role: .destructive) { model.removeRelay(url) }
                            }
                        }
                }
                TextField("Add a relay (wss://…)", text: $model.newRelay)
                    .textInputAutocapitalization(.never).autocorrectionDisabled().keyboardType(.URL)
                    .onSubmit { model.addRelay() }
                if model.relayProblem != nil {
                    Text("A relay address starts with wss:// (ws:// only for this device).")
                        .font(.footnote).foregroundStyle(.red)
                }
                Button("Add") { model.addRelay() }.disabled(model.newRelay.isEmpty)
                Button("Use the default relays") { model.resetRelays() }
                if model.restartNeeded {
                    Button("Reconnect with these relays") { Task { await environment.restart() } }
                        .buttonStyle(.borderedProminent)
                }
            } header: {
                Text("Relays used")
            } footer: {
                Text("Swipe a relay to remove it. Changes apply when Freeport reconnects.")
            }
            Section("Backup") {
                if let text = model.backupText {
                    Text(text).font(.footnote.monospaced()).textSelection(.enabled)
                    ShareLink(item: text) { Label("Save or share", systemImage: "square.and.arrow.up") }
                } else {
                    SecureField("Passphrase", text: $model.backupPassphrase)
                    PassphraseProblemText(problem: model.backupPassphraseProblem)
                    Button("Make an encrypted backup") { Task { await model.makeBackup() } }
                        .disabled(model.backupPassphraseProblem != nil)
                }
            }
            if !app.rejected.isEmpty {
                Section("Refused messages") {
                    ForEach(Array(app.rejected.enumerated()), id: \.offset) { _, r in Text(r).font(.footnote) }
                }
            }
            Section {
                LabeledContent("Core version", value: model.coreVersion)
                Button("Erase everything on this phone", role: .destructive) { model.requestWipe() }
            }
            ProblemText(problem: model.error)
        }
        .navigationTitle("Settings")
        .task { await model.refresh() }
        .confirmationDialog("Erase your key and all data? Without a backup your reputation is lost.",
                            isPresented: Binding(get: { model.wipeRequested }, set: { if !$0 { model.cancelWipe() } }),
                            titleVisibility: .visible) {
            Button("Erase", role: .destructive) { Task { await model.confirmWipe() } }
        }
    }
}
