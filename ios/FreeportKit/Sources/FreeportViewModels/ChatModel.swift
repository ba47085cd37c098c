import Foundation
import Observation
import FreeportCore

/// The chat thread of a deal (text only; never part of a rating): the messages, the draft and
/// sending it. Whether the user may write at all is the core's `.chat` in the deal's actions
/// (`NegotiationModel.offers(.chat)`); an empty, oversized or not-allowed message is the core's
/// typed refusal, kept in `error`, and the draft stays for editing. Showing the thread marks it
/// read.
@MainActor
@Observable
public final class ChatModel {
    /// The thread id.
    public let nego: String
    /// Messages, in the order they were written.
    public private(set) var messages: [ChatMessageView] = []
    /// The first load finished.
    public private(set) var loaded = false
    /// The message being typed.
    public var draft = ""
    /// A call is running.
    public private(set) var busy = false
    /// Last problem (the core's refusal of the draft, or a failure).
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
            self.loaded = true
        } catch {
            self.error = UserError(error)
        }
    }

    /// Sends the draft (the core refuses empty, oversized or not-allowed messages).
    public func send() async {
        busy = true
        defer { busy = false }
        do {
            let sent = try await core.chatSend(nego: nego, text: draft)
            messages.append(sent)
            draft = ""
            error = nil
        } catch {
            self.error = UserError(error)
        }
    }
}
