import SwiftUI
import FreeportCore
import FreeportViewModels

/// The deal's check-in: share it with trusted contacts (contacts, a deadline, the place), then a
/// countdown with "I'm safe", moving the deadline and calling it off. One control per action the
/// core offers; with PINs set, "I'm safe" asks for one (the duress PIN looks the same here).
struct DealCheckinScreen: View {
    @State private var model: DealCheckinModel
    @State private var newDeadline = Date().addingTimeInterval(2 * 3600)

    init(model: DealCheckinModel) {
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            if let c = model.checkin {
                Section {
                    Text(Words.checkin(c.state)).font(.headline)
                    TimelineView(.periodic(from: .now, by: 1)) { _ in
                        if let left = model.secondsLeft {
                            Text(left >= 0 ? "Time left: \(Countdown.text(left))" : "Deadline passed \(Countdown.text(-left)) ago")
                                .font(.title2.monospacedDigit())
                        }
                    }
                    if c.delivery == .notYetSent {
                        Label("Not yet sent: it goes as soon as you are online", systemImage: "icloud.slash")
                            .foregroundStyle(.orange)
                    }
                    LabeledContent("Shared with", value: c.contacts.map { $0.name ?? Formats.ltr(shortKey($0.npub)) }.joined(separator: ", "))
                }
                if model.actions.contains(.safe) {
                    Section {
                        if model.pinRequired {
                            SecureField("PIN", text: $model.pin).keyboardType(.numberPad)
                        }
                        Button("I’m safe") { Task { await model.safe() } }
                            .buttonStyle(.borderedProminent)
                    }
                }
                if model.actions.contains(.extend) {
                    Section("Running late") {
                        DatePicker("New deadline", selection: $newDeadline, in: Date()...)
                        Button("Move the deadline") {
                            model.deadline = UnixTime(newDeadline.timeIntervalSince1970)
                            Task { await model.extend() }
                        }
                    }
                }
                if model.actions.contains(.cancel) {
                    Button("Call off the check-in", role: .destructive) { Task { await model.cancel() } }
                }
            }
            if model.actions.contains(.share) {
                Section {
                    ForEach(model.contacts, id: \.pubkey) { c in
                        Toggle(c.label ?? c.name ?? shortKey(c.npub), isOn: Binding(
                            get: { model.chosen.contains(c.pubkey) }, set: { _ in model.toggle(c.pubkey) }))
                    }
                    DatePicker("Check in by", selection: $newDeadline, in: Date()...)
                    TextField("Place (optional)", text: $model.placeName)
                    Button("Share check-in") {
                        model.deadline = UnixTime(newDeadline.timeIntervalSince1970)
                        Task { await model.share() }
                    }
                    .buttonStyle(.borderedProminent)
                } header: {
                    Text("Tell a trusted contact")
                } footer: {
                    Text("They see who you meet, where and until when. If you do not say you are safe by then, their phone alerts them. Freeport does not call emergency services.")
                }
            } else if model.checkin == nil, let why = model.view?.shareRefusal {
                Text(Words.refusal(why)).foregroundStyle(.secondary)
            }
            ProblemText(problem: model.error)
        }
        .disabled(model.busy)
        .navigationTitle("Safety check-in")
        .task { await model.refresh() }
    }
}

/// A contact's check-in: who, whom they meet (key, name, masked phone, the card they saw), where,
/// until when. Overdue and "not OK" are alarms: shown first, in red.
struct CheckinAlertScreen: View {
    @State private var model: CheckinAlertModel

    init(model: CheckinAlertModel) {
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            if let c = model.checkin {
                Section {
                    Text(Words.checkin(c.state))
                        .font(.title.bold())
                        .foregroundStyle(model.isAlarm ? .red : .primary)
                    Text(c.from.name ?? shortKey(c.from.npub)).font(.headline)
                    // In our clock while open (the core's dueAt); as they set it once closed.
                    LabeledContent("Deadline", value: Date(timeIntervalSince1970: TimeInterval(c.dueAt ?? c.deadline)).formatted(date: .abbreviated, time: .shortened))
                    if c.clockSkewed, let off = c.clockOffsetSecs {
                        Text("Their phone’s clock differs from yours by \(Int(abs(off) / 60)) minutes").font(.footnote)
                    }
                } footer: {
                    if model.isAlarm {
                        Text("Try to reach them. Freeport does not call emergency services: if you think they are in danger, call emergency services yourself.")
                    }
                }
                Section("They are meeting") {
                    Text(c.meeting.name ?? shortKey(c.meeting.npub)).font(.headline)
                    Text(c.meeting.npub).font(.footnote.monospaced()).textSelection(.enabled)
                    if let phone = c.meeting.phone { LabeledContent("Phone", value: Formats.ltr(phone)) }
                    LabeledContent("Deals", value: c.meeting.screening.deals.formatted())
                    LabeledContent("Verdict", value: Words.verdict(c.meeting.screening.verdict))
                }
                Section("Where") {
                    if let place = c.placeName { Text(place) }
                    if let gh = c.geohash { LabeledContent("Area code", value: gh) }
                }
            } else {
                ProgressView()
            }
            ProblemText(problem: model.error)
        }
        .navigationTitle("Check-in")
        .task { await model.refresh() }
    }
}

/// Trusted contacts (Settings): who your check-ins go to and whose check-ins you watch. Both
/// people add each other; the list stays on this phone.
struct TrustedContactsScreen: View {
    @State private var model: TrustedContactsModel
    @State private var pins: CheckinPinsModel

    init(model: TrustedContactsModel, pins: CheckinPinsModel) {
        _model = State(initialValue: model)
        _pins = State(initialValue: pins)
    }

    var body: some View {
        Form {
            Section {
                if model.contacts.isEmpty {
                    Text("No trusted contacts yet.").foregroundStyle(.secondary)
                }
                ForEach(model.contacts, id: \.pubkey) { c in
                    Text(c.label ?? c.name ?? shortKey(c.npub))
                        .swipeActions {
                            Button("Remove", role: .destructive) { Task { await model.remove(c.pubkey) } }
                        }
                }
            } footer: {
                Text("They must add you too to watch your check-ins. Kept on this phone only.")
            }
            Section("Add a contact") {
                TextField("Their key (npub)", text: $model.key)
                TextField("Name (optional)", text: $model.label)
                Button("Add") { Task { await model.add() } }.disabled(model.key.isEmpty)
            }
            Section {
                SecureField("Usual PIN", text: $pins.safePin).keyboardType(.numberPad)
                SecureField("Duress PIN", text: $pins.duressPin).keyboardType(.numberPad)
                Button("Save PINs") { Task { await pins.save() } }
                if pins.pinsSet {
                    Button("Remove PINs", role: .destructive) { Task { await pins.clear() } }
                }
                ProblemText(problem: pins.error)
            } header: {
                Text("Check-in PINs")
            } footer: {
                Text("“I’m safe” then asks for a PIN. The duress PIN looks the same on your screen but tells your contacts you are not OK.")
            }
            ProblemText(problem: model.error)
        }
        .navigationTitle("Trusted contacts")
        .task {
            await model.refresh()
            await pins.refresh()
        }
    }
}

/// `1:05:09` / `4:32`: a countdown as a clock shows it.
enum Countdown {
    static func text(_ seconds: Int64) -> String {
        let h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
