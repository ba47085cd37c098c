import SwiftUI
import FreeportCore
import FreeportViewModels

/// The market's form as the core describes it; the core judges what was entered and each of its
/// violations is shown under the field it belongs to.
struct PostIntentScreen: View {
    @State private var model: PostIntentModel
    @Environment(\.dismiss) private var dismiss
    @Environment(AppEnvironment.self) private var environment

    init(model: PostIntentModel) {
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            Section {
                Picker("I", selection: $model.side) {
                    Text("Offer").tag(IntentSide.offer)
                    Text("Request").tag(IntentSide.request)
                }
                .pickerStyle(.segmented)
                TextField("Title", text: $model.title)
                problems("title")
            }
            ForEach(model.fields) { field in
                Section {
                    input(for: field)
                    problems(field.path)
                } header: {
                    // The market's own label (data, not UI text); `*` marks required fields.
                    Text(verbatim: field.required ? "\(field.label) *" : field.label)
                }
            }
            whenSection
            Section {
                problems("geohash")
                problems("")
                ProblemText(problem: model.error)
            }
        }
        .navigationTitle(model.market.title)
        .toolbar {
            ToolbarItem(placement: .cancellationAction) { Button("Cancel") { dismiss() } }
            ToolbarItem(placement: .confirmationAction) {
                Button("Post") { Task { await model.submit() } }.disabled(model.busy)
            }
        }
        .overlay { if model.busy { ProgressView("Signing…") } }
        .onChange(of: model.posted) { _, posted in
            guard posted != nil else { return }
            // Answers come while the app is closed: the moment to ask to notify.
            Task { await BackgroundNotices.requestPermissionIfNeeded() }
            dismiss()
        }
    }

    /// When (optional): the window's start and end with the system date-and-time pickers, and
    /// the flexibility around it. What is wrong with the window is the core's to say.
    @ViewBuilder private var whenSection: some View {
        Section {
            if model.window != nil {
                DatePicker("Starts", selection: Binding(
                    get: { model.window?.start ?? Date() }, set: { model.setWindowStart($0) }))
                problems("window_start")
                DatePicker("Ends", selection: Binding(
                    get: { model.window?.end ?? Date() }, set: { model.setWindowEnd($0) }))
                problems("window_end")
                Picker("Flexible by", selection: $model.flexMinutes) {
                    Text("Not at all").tag(UInt32?.none)
                    ForEach(PostIntentModel.flexChoices, id: \.self) { minutes in
                        Text("±\(Int(minutes)) minutes").tag(UInt32?.some(minutes))
                    }
                }
                problems("flex_minutes")
                Button("Remove the time", role: .destructive) { model.removeWindow() }
            } else {
                Button("Add a time") { model.addWindow() }
            }
        } header: {
            Text("When (optional)")
        }
    }

    /// The core's violations placed under `input` (a form path, `title`, `geohash`, `window_start`,
    /// `window_end`, `flex_minutes`, or "").
    @ViewBuilder private func problems(_ input: String) -> some View {
        let found = model.problems(for: input)
        if !found.isEmpty {
            Text(Words.violations(found)).font(.footnote).foregroundStyle(.red)
        }
    }

    private func text(_ path: String) -> Binding<String> {
        Binding(get: { model.entries[path]?.text ?? "" }, set: { model.entries[path, default: FieldEntry()].text = $0 })
    }

    private func geohash(_ path: String) -> Binding<String> {
        Binding(get: { model.entries[path]?.geohash ?? "" }, set: { model.entries[path, default: FieldEntry()].geohash = $0 })
    }

    @ViewBuilder private func input(for field: FormFieldView) -> some View {
        let placeholder = field.placeholder ?? field.label
        switch field.input {
        case .text:
            TextField(placeholder, text: text(field.path))
        case .multiline:
            TextField(placeholder, text: text(field.path), axis: .vertical).lineLimit(3...8)
        case .number:
            TextField(placeholder, text: text(field.path)).keyboardType(.decimalPad)
        case .currency:
            TextField(placeholder, text: text(field.path)).textInputAutocapitalization(.characters)
        case .select:
            Picker(field.label, selection: text(field.path)) {
                Text("—").tag("")
                ForEach(field.options) { o in Text(o.label).tag(o.value) }
            }
        case .location:
            TextField(placeholder, text: text(field.path))
            HStack {
                TextField("Area code (geohash)", text: geohash(field.path))
                    .textInputAutocapitalization(.never).autocorrectionDisabled()
                Button {
                    Task {
                        if let here = await environment.location.current() {
                            model.setLocation(path: field.path, latitude: here.latitude, longitude: here.longitude)
                        }
                    }
                } label: {
                    Image(systemName: "location")
                }
                .accessibilityLabel(Text("Use my location for \(field.label)"))
            }
        case .images:
            TextField("One picture link per line", text: text(field.path), axis: .vertical)
                .textInputAutocapitalization(.never).keyboardType(.URL)
        }
    }
}

extension FormFieldView: @retroactive Identifiable {
    public var id: String { path }
}

extension FormOption: @retroactive Identifiable {
    public var id: String { value }
}
