import Foundation
import Observation
import FreeportCore

/// The words both phones show after a scan, and whether the user confirmed they match.
public struct MeetResult: Equatable, Sendable {
    /// The core's outcome.
    public let outcome: MeetOutcomeView
    /// The user said the words on both phones are the same ("met in person").
    public var confirmed = false
}

/// Show side of the meetup: a rotating single-use code with a visible countdown, and the
/// scan of the return code the other phone shows back (works offline). The return code is read
/// by `returnScanner` — platform QR text or camera luma frames, exactly like the scan side.
@MainActor
@Observable
public final class MeetShowModel {
    /// The thread.
    public let nego: String
    /// Size of the PNG asked from the core (pixels; the view scales it without smoothing).
    public let pngPixels: UInt32
    /// The code on screen.
    public private(set) var code: MeetCodeView?
    /// Seconds until the code rotates (the countdown under the QR).
    public private(set) var secondsToRefresh: UInt64 = 0
    /// How many codes were shown (1 after the first, +1 per rotation).
    public private(set) var rotations = 0
    /// Last problem fetching a code.
    public private(set) var error: UserError?
    /// Reads the other phone's return code (its `hint` says why a frame or text was refused).
    public let returnScanner: MeetScanModel

    private let core: FreeportCoreAPI
    private let clock: Clock

    /// A model showing codes for `nego`.
    public init(core: FreeportCoreAPI, nego: String, pngPixels: UInt32 = 720, clock: Clock = .system) {
        self.core = core
        self.nego = nego
        self.pngPixels = pngPixels
        self.clock = clock
        self.returnScanner = MeetScanModel(core: core)
    }

    /// The outcome once the return code was scanned (the meeting is complete on this side).
    public var result: MeetResult? { returnScanner.result }

    /// The countdown as a whole number of seconds for display (never negative, never traps).
    public var countdown: Int { Int(clamping: secondsToRefresh) }

    /// Asks the core for a fresh code.
    public func refresh() async {
        do {
            let c = try await core.meetShow(nego: nego, pngPx: pngPixels)
            code = c
            rotations += 1
            error = nil
            updateCountdown()
        } catch {
            code = nil
            self.error = UserError(error)
        }
    }

    /// Called every second by the view: updates the countdown and rotates when due.
    public func tick() async {
        guard result == nil else { return }
        guard let c = code else { return await refresh() }
        if clock.now() >= c.refreshAt {
            await refresh()
        } else {
            updateCountdown()
        }
    }

    /// The other phone's return code as text (platform QR detector, or pasted).
    public func scanReturn(text: String) async {
        await returnScanner.scan(text: text)
    }

    /// The user confirmed the words match.
    public func confirmWordsMatch() {
        returnScanner.confirmWordsMatch()
    }

    private func updateCountdown() {
        guard let c = code else { return }
        let now = clock.now()
        secondsToRefresh = c.refreshAt > now ? c.refreshAt - now : 0
    }
}

/// Scan side of the meetup: camera frames (luma plane) or a platform QR detector's text, one
/// at a time; frames arriving while one is decoding are dropped, and scanning stops at the
/// first accepted code.
@MainActor
@Observable
public final class MeetScanModel {
    /// The outcome (SAS words, return code to show back) once a code was accepted.
    public private(set) var result: MeetResult?
    /// The latest reason a frame or text was refused (a hint line under the viewfinder).
    public private(set) var hint: UserError?
    /// Frames handed to the core so far.
    public private(set) var framesDecoded = 0
    /// Frames dropped because one was still decoding.
    public private(set) var framesDropped = 0

    private var decoding = false
    private let core: FreeportCoreAPI

    /// A scanner over `core`.
    public init(core: FreeportCoreAPI) {
        self.core = core
    }

    /// Whether the camera should keep delivering frames.
    public var scanning: Bool { result == nil }

    /// Text from a QR detector or a paste.
    public func scan(text: String) async {
        await decode { try await self.core.meetScanText(text: text) }
    }

    /// An encoded picture (photo of a code).
    public func scan(image: Data) async {
        await decode { try await self.core.meetScanImage(bytes: image) }
    }

    /// A camera luma frame: `stride` bytes per row, `height` rows. Returns false when dropped.
    @discardableResult
    public func scan(width: UInt32, height: UInt32, stride: UInt32, luma: Data) async -> Bool {
        guard scanning, !decoding else {
            framesDropped += 1
            return false
        }
        framesDecoded += 1
        await decode {
            try await self.core.meetScanFrame(width: width, height: height, stride: stride, data: luma)
        }
        return true
    }

    /// The user confirmed the words match.
    public func confirmWordsMatch() {
        result?.confirmed = true
    }

    private func decode(_ body: @MainActor () async throws -> MeetOutcomeView) async {
        guard scanning, !decoding else { return }
        decoding = true
        defer { decoding = false }
        do {
            result = MeetResult(outcome: try await body())
            hint = nil
        } catch {
            hint = UserError(error)
        }
    }
}

/// Rate a met deal: two yes/no questions (safe? reliable?), an optional score, and whether the
/// number they gave reached them. One rating per deal (the core refuses a second one).
@MainActor
@Observable
public final class RateModel {
    /// The thread.
    public let nego: String
    /// "Did you feel safe?"; nil until answered.
    public var safe: Bool?
    /// "Did they do what was agreed?"; nil until answered.
    public var reliable: Bool?
    /// Scores the protocol knows, worst first (the core checks the range too).
    public static let scores: [Int8] = [-1, 0, 1, 2]
    /// Optional score; without one the core derives it from the two answers.
    public var score: Int8?
    /// "I reached them at their number."
    public var reachedNumber = false
    /// A call is running.
    public private(set) var busy = false
    /// Sent.
    public private(set) var done = false
    /// Last problem.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI

    /// Rating for thread `nego`.
    public init(core: FreeportCoreAPI, nego: String) {
        self.core = core
        self.nego = nego
    }

    /// Both questions answered and not sent yet.
    public var canSubmit: Bool { safe != nil && reliable != nil && !busy && !done }

    /// Signs and publishes the rating.
    public func submit() async {
        guard canSubmit, let safe, let reliable else { return }
        busy = true
        defer { busy = false }
        do {
            try await core.rate(nego: nego, input: RateRecord(safe: safe, reliable: reliable, score: score, reachedNumber: reachedNumber))
            done = true
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}
