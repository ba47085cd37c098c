import SwiftUI
import UIKit
import FreeportCore
import FreeportViewModels

/// Shows the rotating code full-brightness with a visible countdown; then scans the return code.
struct MeetShowScreen: View {
    @State private var model: MeetShowModel
    @State private var scanningReturn = false
    @State private var brightness = ScreenBrightness()
    @Environment(\.scenePhase) private var scenePhase

    init(model: MeetShowModel) {
        _model = State(initialValue: model)
    }

    var body: some View {
        ScrollView {
            VStack(spacing: 16) {
                if let result = model.result {
                    WordsCheck(result: result) { model.confirmWordsMatch() }
                } else if let code = model.code, let image = UIImage(data: code.png) {
                    Text("Let them scan this code").font(.title2.bold())
                    Image(uiImage: image)
                        .interpolation(.none)
                        .resizable()
                        .scaledToFit()
                        .padding(12)
                        .background(Color.white) // a QR needs a light background in dark mode too
                        .clipShape(RoundedRectangle(cornerRadius: 12))
                        .accessibilityLabel(Text("Meetup code. Hold the phone so the other person can scan it."))
                    // "45 seconds", "45 Sekunden", "٤٥ ثانية": the unit word and its plural form
                    // come from Foundation in the user's language.
                    Text("New code in \(Formats.seconds(model.countdown))")
                        .font(.headline.monospacedDigit())
                        .accessibilityAddTraits(.updatesFrequently)
                    Button("Scan their return code") { scanningReturn = true }
                        .buttonStyle(.borderedProminent)
                } else {
                    ProgressView()
                }
                ProblemText(problem: model.error)
            }
            .padding()
        }
        .navigationTitle("Meet")
        .sheet(isPresented: $scanningReturn) {
            ReturnScanSheet(scanner: model.returnScanner)
        }
        .onChange(of: model.result != nil) { _, done in
            if done { scanningReturn = false }
        }
        .sensoryFeedback(.success, trigger: model.result != nil)
        .task {
            while !Task.isCancelled && model.result == nil {
                await model.tick()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        .onAppear { brightness.boost() }
        .onDisappear { brightness.restore() }
        .onChange(of: scenePhase) { _, phase in
            if phase == .active { brightness.boost() } else { brightness.restore() }
        }
    }
}

/// The camera over the other phone's return code: system QR text and luma frames, like the scan
/// side; the refusal reason under the viewfinder.
struct ReturnScanSheet: View {
    let scanner: MeetScanModel

    var body: some View {
        VStack(spacing: 12) {
            CameraScanner { text in
                Task { await scanner.scan(text: text) }
            } onFrame: { frame in
                Task { await scanner.scan(width: frame.width, height: frame.height, stride: frame.stride, luma: frame.luma) }
            }
            .accessibilityLabel(Text("Camera. Point it at the other person's code."))
            if let hint = scanner.hint {
                Text(Words.error(hint)).font(.callout).multilineTextAlignment(.center).padding(.horizontal)
            }
        }
    }
}

/// Scans the other phone's code: the system QR detector's text, or camera luma frames decoded
/// by the core (works without Google/Apple services and offline).
struct MeetScanScreen: View {
    @State private var model: MeetScanModel
    @State private var pasted = ""

    init(model: MeetScanModel) {
        _model = State(initialValue: model)
    }

    var body: some View {
        VStack(spacing: 12) {
            if let result = model.result {
                if let back = result.outcome.returnPng, let image = UIImage(data: back), !result.confirmed {
                    Text("Now let them scan this").font(.headline)
                    Image(uiImage: image).interpolation(.none).resizable().scaledToFit()
                        .padding(8).background(Color.white)
                        .accessibilityLabel(Text("Return code for the other person to scan"))
                }
                WordsCheck(result: result) { model.confirmWordsMatch() }
            } else {
                CameraScanner { text in
                    Task { await model.scan(text: text) }
                } onFrame: { frame in
                    Task { await model.scan(width: frame.width, height: frame.height, stride: frame.stride, luma: frame.luma) }
                }
                .accessibilityLabel(Text("Camera. Point it at the other person's code."))
                if let hint = model.hint {
                    Text(Words.error(hint)).font(.callout).multilineTextAlignment(.center)
                        .accessibilityAddTraits(.updatesFrequently)
                }
                HStack {
                    TextField("Or paste a code", text: $pasted).textInputAutocapitalization(.never)
                    Button("Use") { Task { await model.scan(text: pasted) } }.disabled(pasted.isEmpty)
                }
                .padding(.horizontal)
            }
        }
        .navigationTitle("Scan")
        .sensoryFeedback(.success, trigger: model.result != nil)
    }
}

/// The words both phones show, to compare aloud, and the "they match" confirmation.
struct WordsCheck: View {
    let result: MeetResult
    let confirm: () -> Void

    var body: some View {
        VStack(spacing: 12) {
            Text("Say these words to each other").font(.headline)
            // The core's fixed English word list, in its order, on both phones (left to right in
            // a right-to-left UI too).
            Text(verbatim: result.outcome.sasWords.joined(separator: " · "))
                .font(.largeTitle.bold())
                .multilineTextAlignment(.center)
                .environment(\.layoutDirection, .leftToRight)
                .accessibilityLabel(Text(verbatim: result.outcome.sasWords.joined(separator: ", ")))
            Text("These words are always in English, so both phones show the same ones, whatever their language.")
                .font(.footnote).foregroundStyle(.secondary).multilineTextAlignment(.center)
            if result.confirmed {
                Label("Met in person", systemImage: "checkmark.seal.fill").foregroundStyle(.green)
            } else {
                Text("If the other phone shows different words, stop: you are not talking to the person you made the deal with.")
                    .font(.footnote).foregroundStyle(.secondary).multilineTextAlignment(.center)
                Button("The words match", action: confirm).buttonStyle(.borderedProminent)
            }
        }
    }
}

/// Rate: two yes/no questions, an optional score, and "I reached them at their number".
struct RateScreen: View {
    @State private var model: RateModel

    init(model: RateModel) {
        _model = State(initialValue: model)
    }

    var body: some View {
        Form {
            YesNo(question: "Did you feel safe?", answer: $model.safe)
            YesNo(question: "Did they do what was agreed?", answer: $model.reliable)
            Section("Score (optional)") {
                Picker("Score", selection: $model.score) {
                    Text("No score").tag(Int8?.none)
                    ForEach(RateModel.scores, id: \.self) { s in Text(Self.scoreWord(s)).tag(Int8?.some(s)) }
                }
            }
            Toggle("I reached them at their number", isOn: $model.reachedNumber)
            Button("Send rating") { Task { await model.submit() } }
                .buttonStyle(.borderedProminent)
                .disabled(!model.canSubmit)
            if model.done { Label("Thank you", systemImage: "checkmark") }
            ProblemText(problem: model.error)
        }
        .navigationTitle("Rate")
    }
}

extension RateScreen {
    static func scoreWord(_ score: Int8) -> LocalizedStringKey {
        switch score {
        case -1: "Bad"
        case 0: "Neutral"
        case 1: "Good"
        default: "Excellent"
        }
    }
}

/// A yes/no question with no default answer.
struct YesNo: View {
    let question: LocalizedStringKey
    @Binding var answer: Bool?

    var body: some View {
        Section(question) {
            Picker(question, selection: $answer) {
                Text("Yes").tag(Bool?.some(true))
                Text("No").tag(Bool?.some(false))
            }
            .pickerStyle(.segmented)
        }
    }
}
