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
                    LabeledContent("Published", value: Formats.ltr(published))
                        .accessibilityLabel(Text("Published phone: \(Formats.ltr(published))"))
                }
                TextField("New phone number", text: $model.phone)
                    .keyboardType(.phonePad).textContentType(.telephoneNumber)
                Toggle("Publish my full number", isOn: $model.publishFullNumber)
                if let status = model.phoneStatus {
                    LabeledContent("Verification", value: Words.phoneStatus(status))
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
                    SettingsScreen(app: app, model: SettingsModel(core: app.core) { [environment] in
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

/// One list of the relay settings: its relays with their status (each with the core's refusal
/// next to it, if it has one), and a field to add one with the refusal of what was typed.
private struct RelayListSection: View {
    let model: SettingsModel
    let role: RelayListRole

    var body: some View {
        Section {
            ForEach(Array(model.list(role).enumerated()), id: \.element) { index, url in
                let connected = model.isConnected(url)
                VStack(alignment: .leading) {
                    Label(url, systemImage: connected ? "circle.fill" : "circle")
                        .font(.footnote.monospaced())
                        .foregroundStyle(connected ? .green : .secondary)
                        .accessibilityLabel(Text(connected ? "\(url), connected" : "\(url), not connected"))
                    if let v = model.entryViolation(role, index) {
                        Text(Words.relayRule(v.rule)).font(.footnote).foregroundStyle(.red)
                    }
                }
                .swipeActions {
                    Button("Remove", role: .destructive) { Task { await model.removeRelay(role, url) } }
                }
            }
            TextField("Add a relay (wss://…)", text: Binding(
                get: { model.drafts[role] ?? "" }, set: { model.setDraft(role, $0) }
            ))
            .textInputAutocapitalization(.never).autocorrectionDisabled().keyboardType(.URL)
            .onSubmit { Task { await model.addRelay(role) } }
            if let v = model.draftViolation(role) {
                Text(Words.relayRule(v.rule)).font(.footnote).foregroundStyle(.red)
            }
            Button("Add") { Task { await model.addRelay(role) } }.disabled((model.drafts[role] ?? "").isEmpty)
        } header: {
            switch role {
            case .read: Text("Read from")
            case .write: Text("Publish to")
            case .inbox: Text("Messages arrive at")
            }
        }
    }
}

/// Relays, privacy, blocked people, pending events, backup, version, wipe.
struct SettingsScreen: View {
    let app: AppModel
    @State private var model: SettingsModel

    init(app: AppModel, model: SettingsModel) {
        self.app = app
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            if let notices = model.notices {
                Section {
                    Toggle("Deals: quotes, counter-offers, messages, confirmations, meetings", isOn: Binding(
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
            ForEach(SettingsModel.roles, id: \.self) { role in
                RelayListSection(model: model, role: role)
            }
            Section {
                LabeledContent("Waiting to send", value: model.pending.count.formatted())
                if let s = model.settings, !s.published {
                    Text("Not published yet: your relay lists go out at the next sync.").font(.footnote)
                }
                Button("Use the default relays") { Task { await model.resetRelays() } }
            } footer: {
                Text("Your posts go to the relays you publish to. People find where you read and where your messages arrive in the lists Freeport publishes for you, so you can reach each other even on different relays.")
            }
            Section("Backup") {
                if let text = model.backupText {
                    Text(text).font(.footnote.monospaced()).textSelection(.enabled)
                    ShareLink(item: text) { Label("Save or share", systemImage: "square.and.arrow.up") }
                } else {
                    SecureField("Passphrase", text: $model.backupPassphrase)
                    PassphraseProblemText(violations: model.backupPassphraseViolations)
                    Button("Make an encrypted backup") { Task { await model.makeBackup() } }
                        .disabled(!model.backupPassphraseViolations.isEmpty)
                }
            }
            Section {
                Toggle("Private messages only as NIP-17", isOn: Binding(
                    get: { model.requireNip17 }, set: { on in Task { await model.setRequireNip17(on) } }
                ))
            } header: {
                Text("Privacy")
            } footer: {
                Text("Hides from relays who talks to whom. People whose app reads only the older NIP-04 messages will not get yours.")
            }
            if let checkins = app.checkinCore {
                Section {
                    NavigationLink("Trusted contacts and check-in PINs") {
                        TrustedContactsScreen(model: TrustedContactsModel(core: checkins), pins: CheckinPinsModel(core: checkins))
                    }
                } header: {
                    Text("Safety")
                }
            }
            Section("Blocked people") {
                if model.blocked.isEmpty {
                    Text("You have not blocked anyone.").foregroundStyle(.secondary)
                }
                ForEach(model.blocked, id: \.pubkey) { b in
                    let who = b.name ?? shortKey(b.npub)
                    HStack {
                        Text(who)
                        Spacer()
                        Button("Unblock") { Task { await model.unblock(b.pubkey) } }
                            .accessibilityLabel(Text("Unblock \(who)"))
                    }
                }
            }
            if !app.rejected.isEmpty {
                Section("Refused messages") {
                    ForEach(Array(app.rejected.enumerated()), id: \.offset) { _, r in Text(Words.refusal(r.code)).font(.footnote) }
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
