import Foundation
import Observation
import FreeportCore

/// The conversation part of a deal screen: the chat thread (text only, never part of a rating),
/// what the counterparty sent that was refused and why (typed codes the app words), progress
/// reports, the mutual cancel, and blocking the counterparty. Every rule is the core's: this
/// model forwards taps and keeps the core's answer, or its typed error.
@MainActor
@Observable
public final class ChatModel {
    /// The thread id.
    public let nego: String
    /// The deal, once loaded.
    public private(set) var deal: DealView?
    /// Messages, in the order they were written.
    public private(set) var messages: [ChatMessageView] = []
    /// Their messages that were not accepted, newest first.
    public private(set) var refusals: [RefusalView] = []
    /// The message being typed.
    public var draft = ""
    /// A call is running.
    public private(set) var busy = false
    /// Last problem.
    public private(set) var error: UserError?

    private let core: FreeportCoreAPI

    /// The chat of thread `nego`.
    public init(core: FreeportCoreAPI, nego: String) {
        self.core = core
        self.nego = nego
    }

    /// Reloads; the screen shows the thread, so it is marked read.
    public func refresh() async {
        do {
            let loaded = try await core.chat(nego: nego)
            if loaded.contains(where: { $0.unread }) {
                _ = try await core.markChatRead(nego: nego)
            }
            messages = loaded
            refusals = try await core.refusals(nego: nego)
            deal = try await core.deal(nego: nego)
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }

    /// Sends the draft (the core refuses empty, oversized or non-text messages).
    public func send() async {
        await run {
            let sent = try await self.core.chatSend(nego: self.nego, text: self.draft)
            self.messages.append(sent)
            self.draft = ""
        }
    }

    /// Reports the deal's progress.
    public func mark(_ stage: DealStage) async {
        await run { self.deal = try await self.core.markStage(nego: self.nego, stage: stage) }
    }

    /// Asks the counterparty to agree to cancel the confirmed deal.
    public func requestCancel(reason: String? = nil) async {
        await run { self.deal = try await self.core.requestCancel(nego: self.nego, reason: reason) }
    }

    /// Answers their request to cancel.
    public func answerCancel(agree: Bool) async {
        await run {
            self.deal = agree
                ? try await self.core.agreeCancel(nego: self.nego)
                : try await self.core.declineCancel(nego: self.nego)
        }
    }

    /// Blocks (silently) or unblocks the counterparty.
    public func setBlocked(_ blocked: Bool) async {
        await run {
            let d: DealView
            if let loaded = self.deal {
                d = loaded
            } else {
                d = try await self.core.deal(nego: self.nego)
            }
            if blocked {
                _ = try await self.core.block(key: d.counterparty)
            } else {
                _ = try await self.core.unblock(key: d.counterparty)
            }
            self.deal = try await self.core.deal(nego: self.nego)
        }
    }

    private func run(_ body: @MainActor () async throws -> Void) async {
        busy = true
        defer { busy = false }
        do {
            try await body()
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}
