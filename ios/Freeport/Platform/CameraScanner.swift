import AVFoundation
import SwiftUI
import UIKit

/// One camera frame's luma (Y) plane.
struct LumaFrame: Sendable {
    let width: UInt32
    let height: UInt32
    /// Bytes per row (≥ width).
    let stride: UInt32
    let luma: Data
}

/// Camera preview that reports QR text from `AVMetadataObject` detection and, in parallel, a
/// few luma frames per second for the core's own decoder (which also reads codes the system
/// detector misses, e.g. low contrast). Torch toggle included.
struct CameraScanner: UIViewControllerRepresentable {
    let onText: (String) -> Void
    let onFrame: (LumaFrame) -> Void

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
}

final class CameraViewController: UIViewController, AVCaptureMetadataOutputObjectsDelegate,
    AVCaptureVideoDataOutputSampleBufferDelegate {
    var onText: ((String) -> Void)?
    var onFrame: ((LumaFrame) -> Void)?

    private let session = AVCaptureSession()
    private let queue = DispatchQueue(label: "app.freeport.camera")
    private var preview: AVCaptureVideoPreviewLayer?
    private var device: AVCaptureDevice?
    private var lastFrame = Date.distantPast
    private var lastText: String?
    /// Frames handed to the core per second at most (decoding runs off the main thread).
    private let framesPerSecond = 4.0

    override func viewDidLoad() {
        super.viewDidLoad()
        view.backgroundColor = .black
        let torch = UIButton(type: .system)
        torch.setImage(UIImage(systemName: "flashlight.on.fill"), for: .normal)
        torch.tintColor = .white
        torch.accessibilityLabel = String(localized: "Torch")
        torch.addTarget(self, action: #selector(toggleTorch), for: .touchUpInside)
        torch.translatesAutoresizingMaskIntoConstraints = false
        view.addSubview(torch)
        NSLayoutConstraint.activate([
            torch.trailingAnchor.constraint(equalTo: view.safeAreaLayoutGuide.trailingAnchor, constant: -16),
            torch.bottomAnchor.constraint(equalTo: view.safeAreaLayoutGuide.bottomAnchor, constant: -16),
            torch.widthAnchor.constraint(greaterThanOrEqualToConstant: 44),
            torch.heightAnchor.constraint(greaterThanOrEqualToConstant: 44),
        ])
        AVCaptureDevice.requestAccess(for: .video) { [weak self] granted in
            guard granted else { return }
            self?.queue.async { self?.configure() }
        }
    }

    override func viewDidLayoutSubviews() {
        super.viewDidLayoutSubviews()
        preview?.frame = view.bounds
    }

    override func viewWillDisappear(_ animated: Bool) {
        super.viewWillDisappear(animated)
        queue.async { [session] in session.stopRunning() }
    }

    private func configure() {
        guard let camera = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
              let input = try? AVCaptureDeviceInput(device: camera), session.canAddInput(input)
        else { return }
        device = camera
        session.beginConfiguration()
        session.sessionPreset = .hd1280x720
        session.addInput(input)
        let metadata = AVCaptureMetadataOutput()
        if session.canAddOutput(metadata) {
            session.addOutput(metadata)
            metadata.setMetadataObjectsDelegate(self, queue: .main)
            metadata.metadataObjectTypes = [.qr]
        }
        let video = AVCaptureVideoDataOutput()
        video.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange]
        video.alwaysDiscardsLateVideoFrames = true
        video.setSampleBufferDelegate(self, queue: queue)
        if session.canAddOutput(video) { session.addOutput(video) }
        session.commitConfiguration()
        DispatchQueue.main.async {
            let layer = AVCaptureVideoPreviewLayer(session: self.session)
            layer.videoGravity = .resizeAspectFill
            layer.frame = self.view.bounds
            self.view.layer.insertSublayer(layer, at: 0)
            self.preview = layer
        }
        session.startRunning()
    }

    @objc private func toggleTorch() {
        guard let device, device.hasTorch, (try? device.lockForConfiguration()) != nil else { return }
        device.torchMode = device.torchMode == .on ? .off : .on
        device.unlockForConfiguration()
    }

    func metadataOutput(_ output: AVCaptureMetadataOutput, didOutput objects: [AVMetadataObject], from connection: AVCaptureConnection) {
        guard let code = objects.compactMap({ $0 as? AVMetadataMachineReadableCodeObject }).first,
              let text = code.stringValue, text != lastText else { return }
        lastText = text
        onText?(text)
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer, from connection: AVCaptureConnection) {
        let now = Date()
        guard now.timeIntervalSince(lastFrame) >= 1 / framesPerSecond,
              let pixels = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        lastFrame = now
        CVPixelBufferLockBaseAddress(pixels, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixels, .readOnly) }
        guard let base = CVPixelBufferGetBaseAddressOfPlane(pixels, 0) else { return }
        let width = CVPixelBufferGetWidthOfPlane(pixels, 0)
        let height = CVPixelBufferGetHeightOfPlane(pixels, 0)
        let stride = CVPixelBufferGetBytesPerRowOfPlane(pixels, 0)
        let frame = LumaFrame(width: UInt32(width), height: UInt32(height), stride: UInt32(stride),
                              luma: Data(bytes: base, count: stride * height))
        DispatchQueue.main.async { [weak self] in self?.onFrame?(frame) }
    }
}
