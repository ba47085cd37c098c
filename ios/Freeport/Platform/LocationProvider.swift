import CoreLocation

/// A device position as plain numbers (crosses from the delegate callback to the main actor).
struct Position: Sendable, Equatable {
    let latitude: Double
    let longitude: Double
}

/// One-shot "where am I" for Browse near me and the post form; the core turns the position into
/// a geohash at the precision the user picked. Asks for when-in-use permission the first time
/// and waits for the answer before asking for a fix; returns nil when refused or unavailable
/// (the user can type an area instead). One instance lives in `AppEnvironment`.
@MainActor
final class LocationProvider: NSObject, CLLocationManagerDelegate {
    private let manager = CLLocationManager()
    private var waiting: [CheckedContinuation<Position?, Never>] = []
    private var requesting = false

    override init() {
        super.init()
        manager.delegate = self
        // A 5-character geohash cell is ±2.4 km: kilometre accuracy is enough and saves battery.
        manager.desiredAccuracy = kCLLocationAccuracyKilometer
    }

    /// The current position, or nil.
    func current() async -> Position? {
        switch manager.authorizationStatus {
        case .denied, .restricted:
            return nil
        default:
            break
        }
        return await withCheckedContinuation { continuation in
            waiting.append(continuation)
            if manager.authorizationStatus == .notDetermined {
                // `locationManagerDidChangeAuthorization` asks for the fix once the user answered.
                manager.requestWhenInUseAuthorization()
            } else {
                requestFix()
            }
        }
    }

    private func requestFix() {
        guard !requesting else { return }
        requesting = true
        manager.requestLocation()
    }

    private func finish(_ position: Position?) {
        requesting = false
        let all = waiting
        waiting.removeAll()
        for c in all { c.resume(returning: position) }
    }

    private func authorizationChanged(_ status: CLAuthorizationStatus) {
        guard !waiting.isEmpty else { return }
        switch status {
        case .authorizedWhenInUse, .authorizedAlways:
            requestFix()
        case .denied, .restricted:
            finish(nil)
        default:
            break // still undetermined: the permission prompt is up
        }
    }

    // CLLocationManagerDelegate: delivered on the thread that created the manager (the main
    // thread here), but declared nonisolated by the protocol, so hop explicitly.
    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        let position = locations.last.map {
            Position(latitude: $0.coordinate.latitude, longitude: $0.coordinate.longitude)
        }
        Task { @MainActor in self.finish(position) }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didFailWithError error: any Error) {
        Task { @MainActor in self.finish(nil) }
    }

    nonisolated func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        let status = manager.authorizationStatus
        Task { @MainActor in self.authorizationChanged(status) }
    }
}
