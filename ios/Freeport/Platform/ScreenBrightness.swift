import UIKit

/// Full brightness and no auto-lock while a meet code is on screen, restored afterwards and
/// whenever the app leaves the foreground (the system does not restore an app's brightness).
@MainActor
final class ScreenBrightness {
    private var saved: CGFloat?

    /// The screen of the foreground window scene (`UIScreen.main` is deprecated since iOS 16).
    private var screen: UIScreen? {
        let scenes = UIApplication.shared.connectedScenes.compactMap { $0 as? UIWindowScene }
        return (scenes.first { $0.activationState == .foregroundActive } ?? scenes.first)?.screen
    }

    /// Saves the current brightness and goes to full.
    func boost() {
        guard saved == nil, let screen else { return }
        saved = screen.brightness
        screen.brightness = 1
        UIApplication.shared.isIdleTimerDisabled = true
    }

    /// Puts the saved brightness back.
    func restore() {
        UIApplication.shared.isIdleTimerDisabled = false
        guard let saved else { return }
        screen?.brightness = saved
        self.saved = nil
    }
}
