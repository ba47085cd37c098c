@preconcurrency import AVFoundation
import SwiftUI
import UIKit

/// One camera frame's luma (Y) plane, copied out of the pixel buffer.
struct LumaFrame: Sendable {
    let width: UInt32
    let height: UInt32
    /// Bytes per row (≥ width).
    let stride: UInt32
    let luma: Data
}

/// Camera preview that reports QR text from `AVCaptureMetadataOutput` (system detector) and, in
/// parallel, up to 4 luma frames per second for the core's own decoder (which also reads codes
/// the system detector misses, e.g. low contrast). Torch toggle; a clear message when camera
/// access is off. Both callbacks run on the main actor.
struct CameraScanner: UIViewControllerRepresentable {
    let onText: @MainActor (String) -> Void
    let onFrame: @MainActor (LumaFrame) -> Void

    func makeUIViewController(context: Context) -> CameraViewController {
        let vc = CameraViewController()
        vc.onText = onText
        vc.onFrame = onFrame
        return vc
    }

    func updateUIViewController(_ vc: CameraViewController, context: Context) {
        vc.onText = onText
        vc.onFrame = onFrame
    }

    static func dismantleUIViewController(_ vc: CameraViewController, coordinator: ()) {
        vc.stop()
    }
}

/// The UIKit side (main actor): preview layer, torch button, permission message. Everything
/// AVFoundation does runs in `CaptureController` on its own serial queue.
final class CameraViewController: UIViewController {
    var onText: (@MainActor (String) -> Void)?
    var onFrame: (@MainActor (LumaFrame) -> Void)?

    private var capture: CaptureController?
    private var preview: AVCaptureVideoPreviewLayer?
    private let denied = UIStackView()

    override func viewDidLoad() {
        super.viewDidLoad()
        view.backgroundColor = .black
        view.isAccessibilityElement = false
        addTorchButton()
        addDeniedMessage()
        capture = CaptureController(
            text: { [weak self] text in Task { @MainActor in self?.onText?(text) } },
            frame: { [weak self] frame in Task { @MainActor in self?.onFrame?(frame) } }
        )
        Task { await self.startIfAllowed() }
    }

    override func viewDidLayoutSubviews() {
        super.viewDidLayoutSubviews()
        preview?.frame = view.bounds
    }

    override func viewWillDisappear(_ animated: Bool) {
        super.viewWillDisappear(animated)
        stop()
    }

    /// Stops the session (and the torch); called when the view goes away.
    func stop() {
        capture?.stop()
    }

    private func startIfAllowed() async {
        let granted: Bool
        switch AVCaptureDevice.authorizationStatus(for: .video) {
        case .authorized: granted = true
        case .notDetermined: granted = await AVCaptureDevice.requestAccess(for: .video)
        default: granted = false
        }
        guard granted, let capture else {
            denied.isHidden = false
            UIAccessibility.post(notification: .screenChanged, argument: denied)
            return
        }
        let layer = AVCaptureVideoPreviewLayer(session: capture.session)
        layer.videoGravity = .resizeAspectFill
        layer.frame = view.bounds
        view.layer.insertSublayer(layer, at: 0)
        preview = layer
        capture.start()
    }

    private func addTorchButton() {
        let torch = UIButton(type: .system)
        torch.setImage(UIImage(systemName: "flashlight.on.fill"), for: .normal)
        torch.tintColor = .white
        torch.accessibilityLabel = String(localized: "Torch")
        torch.addAction(UIAction { [weak self] _ in self?.capture?.toggleTorch() }, for: .touchUpInside)
        torch.translatesAutoresizingMaskIntoConstraints = false
        view.addSubview(torch)
        NSLayoutConstraint.activate([
            torch.trailingAnchor.constraint(equalTo: view.safeAreaLayoutGuide.trailingAnchor, constant: -16),
            torch.bottomAnchor.constraint(equalTo: view.safeAreaLayoutGuide.bottomAnchor, constant: -16),
            torch.widthAnchor.constraint(greaterThanOrEqualToConstant: 44),
            torch.heightAnchor.constraint(greaterThanOrEqualToConstant: 44),
        ])
    }

    private func addDeniedMessage() {
        let label = UILabel()
        label.text = String(localized: "Camera access is off. Allow it in Settings, or paste the code instead.")
        label.textColor = .white
        label.numberOfLines = 0
        label.textAlignment = .center
        label.font = .preferredFont(forTextStyle: .body)
        label.adjustsFontForContentSizeCategory = true
        let open = UIButton(type: .system)
        open.setTitle(String(localized: "Open Settings"), for: .normal)
        open.titleLabel?.font = .preferredFont(forTextStyle: .headline)
        open.titleLabel?.adjustsFontForContentSizeCategory = true
        open.addAction(UIAction { _ in
            if let url = URL(string: UIApplication.openSettingsURLString) { UIApplication.shared.open(url) }
        }, for: .touchUpInside)
        denied.axis = .vertical
        denied.spacing = 12
        denied.addArrangedSubview(label)
        denied.addArrangedSubview(open)
        denied.isHidden = true
        denied.translatesAutoresizingMaskIntoConstraints = false
        view.addSubview(denied)
        NSLayoutConstraint.activate([
            denied.centerYAnchor.constraint(equalTo: view.centerYAnchor),
            denied.leadingAnchor.constraint(equalTo: view.readableContentGuide.leadingAnchor),
            denied.trailingAnchor.constraint(equalTo: view.readableContentGuide.trailingAnchor),
        ])
    }
}

/// The capture session and both outputs' delegate. Not isolated to any actor: every mutable
/// property is touched only on `queue` (session setup, start/stop, torch and both delegate
/// callbacks run there), which is what `@unchecked Sendable` promises. Results leave through the
/// two `@Sendable` closures.
final class CaptureController: NSObject, AVCaptureMetadataOutputObjectsDelegate,
    AVCaptureVideoDataOutputSampleBufferDelegate, @unchecked Sendable {
    /// The session (read on the main actor only to attach the preview layer).
    let session = AVCaptureSession()

    private let queue = DispatchQueue(label: "app.freeport.camera")
    private let deliverText: @Sendable (String) -> Void
    private let deliverFrame: @Sendable (LumaFrame) -> Void
    // Touched only on `queue`:
    private var device: AVCaptureDevice?
    private var configured = false
    private var lastFrameAt: CFAbsoluteTime = 0
    private var lastText: String?
    private var lastTextAt: CFAbsoluteTime = 0

    /// Frames handed to the core per second at most (decoding runs off the main thread).
    private static let frameInterval: CFTimeInterval = 0.25
    /// The same QR text is reported again after this long (a refused code may become valid,
    /// e.g. once the deal is confirmed on this phone).
    private static let repeatTextAfter: CFTimeInterval = 2

    init(text: @escaping @Sendable (String) -> Void, frame: @escaping @Sendable (LumaFrame) -> Void) {
        deliverText = text
        deliverFrame = frame
        super.init()
    }

    /// Configures the session once and starts it.
    func start() {
        queue.async { [self] in
            if !configured { configure() }
            if configured && !session.isRunning { session.startRunning() }
        }
    }

    /// Stops the session and turns the torch off.
    func stop() {
        queue.async { [self] in
            setTorch(on: false)
            if session.isRunning { session.stopRunning() }
        }
    }

    /// Turns the torch on or off.
    func toggleTorch() {
        queue.async { [self] in setTorch(on: device?.torchMode != .on) }
    }

    private func setTorch(on: Bool) {
        guard let device, device.hasTorch, device.isTorchModeSupported(on ? .on : .off) else { return }
        do {
            try device.lockForConfiguration()
            device.torchMode = on ? .on : .off
            device.unlockForConfiguration()
        } catch {
            // The torch is a convenience; a busy device leaves it as it is.
        }
    }

    private func configure() {
        guard let camera = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
              let input = try? AVCaptureDeviceInput(device: camera)
        else { return }
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        if session.canSetSessionPreset(.hd1280x720) { session.sessionPreset = .hd1280x720 }
        guard session.canAddInput(input) else { return }
        session.addInput(input)
        let metadata = AVCaptureMetadataOutput()
        if session.canAddOutput(metadata) {
            session.addOutput(metadata)
            metadata.setMetadataObjectsDelegate(self, queue: queue)
            // Only after the output joined a session with a video input does it list `.qr`.
            if metadata.availableMetadataObjectTypes.contains(.qr) { metadata.metadataObjectTypes = [.qr] }
        }
        let video = AVCaptureVideoDataOutput()
        video.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange]
        video.alwaysDiscardsLateVideoFrames = true
        video.setSampleBufferDelegate(self, queue: queue)
        if session.canAddOutput(video) { session.addOutput(video) }
        device = camera
        configured = true
    }

    // AVCaptureMetadataOutputObjectsDelegate — called on `queue`.
    func metadataOutput(_ output: AVCaptureMetadataOutput, didOutput metadataObjects: [AVMetadataObject],
                        from connection: AVCaptureConnection) {
        guard let text = metadataObjects.lazy.compactMap({ ($0 as? AVMetadataMachineReadableCodeObject)?.stringValue }).first
        else { return }
        let now = CFAbsoluteTimeGetCurrent()
        if text == lastText && now - lastTextAt < Self.repeatTextAfter { return }
        lastText = text
        lastTextAt = now
        deliverText(text)
    }

    // AVCaptureVideoDataOutputSampleBufferDelegate — called on `queue`.
    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer,
                       from connection: AVCaptureConnection) {
        let now = CFAbsoluteTimeGetCurrent()
        guard now - lastFrameAt >= Self.frameInterval, let pixels = CMSampleBufferGetImageBuffer(sampleBuffer)
        else { return }
        lastFrameAt = now
        CVPixelBufferLockBaseAddress(pixels, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixels, .readOnly) }
        guard CVPixelBufferIsPlanar(pixels), let base = CVPixelBufferGetBaseAddressOfPlane(pixels, 0) else { return }
        let width = CVPixelBufferGetWidthOfPlane(pixels, 0)
        let height = CVPixelBufferGetHeightOfPlane(pixels, 0)
        let stride = CVPixelBufferGetBytesPerRowOfPlane(pixels, 0)
        guard let w = UInt32(exactly: width), let h = UInt32(exactly: height), let s = UInt32(exactly: stride) else { return }
        // Copied while the buffer is locked: the pixel buffer is recycled once this returns.
        deliverFrame(LumaFrame(width: w, height: h, stride: s, luma: Data(bytes: base, count: stride * height)))
    }
}
