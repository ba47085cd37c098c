import CoreLocation

/// One-shot "where am I" for Browse near me and the post form. Asks for when-in-use permission
/// the first time; returns nil when refused or unavailable (the user can type an area instead).
@MainActor
final class LocationProvider: NSObject, CLLocationManagerDelegate {
    private let manager = CLLocationManager()
    private var waiting: [CheckedContinuation<CLLocation?, Never>] = []

    override init() {
        super.init()
        manager.delegate = self
        // A geohash of 5 characters is ±2.4 km: coarse accuracy is enough and saves battery.
        manager.desiredAccuracy = kCLLocationAccuracyKilometer
    }

    /// The current position, or nil.
    func current() async -> CLLocation? {
        switch manager.authorizationStatus {
        case .denied, .restricted:
            return nil
        case .notDetermined:
            manager.requestWhenInUseAuthorization()
        default:
            break
        }
        return await withCheckedContinuation { continuation in
            waiting.append(continuation)
            manager.requestLocation()
        }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        let last = locations.last
        Task { @MainActor in self.finish(last) }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) {
        Task { @MainActor in self.finish(nil) }
    }

    nonisolated func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        let status = manager.authorizationStatus
        Task { @MainActor in
            if status == .denied || status == .restricted { self.finish(nil) }
        }
    }

    private func finish(_ location: CLLocation?) {
        let all = waiting
        waiting.removeAll()
        for c in all { c.resume(returning: location) }
    }
}
