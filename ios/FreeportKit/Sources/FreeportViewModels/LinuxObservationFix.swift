#if os(Linux)
// Workaround for swiftlang/swift#75670 (fixed upstream by swiftlang/swift#85278, Swift 6.2):
// libswiftObservation.so on Linux references `swift::threading::fatal(const char *, ...)`
// without defining it, so any binary using @Observable fails to link ("undefined reference to
// swift::threading::fatal"). Debian trixie's swiftlang 6.0.3 has the bug. Define the symbol: the
// Threading library calls it only on an unrecoverable error, where the runtime would abort too.
// Where the library already has its own (local) copy, this one is simply unused.
@_cdecl("_ZN5swift9threading5fatalEPKcz")
public func _freeportSwiftThreadingFatal() -> Never {
    fatalError("Swift Threading library reported a fatal error (Observation runtime)")
}
#endif
