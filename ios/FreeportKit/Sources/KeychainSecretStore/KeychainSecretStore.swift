// The core's `SecretStore` over the iOS/macOS Keychain. Compiled only where the Security
// framework exists; on Linux this module is empty (the view-model tests use an in-memory store).
#if canImport(Security)
import Foundation
import Security
import FreeportCore

/// Keeps the core's secrets (identity key, data key, private contact) in the Keychain as
/// generic passwords: service `app.freeport`, account = entry name, readable only after the
/// first unlock since boot, never synchronised to iCloud and never restored to another device.
///
/// Errors are mapped to `SecretStoreError`: a locked device (`errSecInteractionNotAllowed`)
/// becomes `Locked` so the core reports "retry later" instead of treating the key as missing.
public final class KeychainSecretStore: SecretStore, @unchecked Sendable {
    /// The Keychain service every entry is stored under.
    public static let defaultService = "app.freeport"
    /// Longest entry name (the core's `MAX_SECRET_KEY_NAME`).
    public static let maxKeyLength = 128
    /// Largest value in bytes (the core's `MAX_SECRET_VALUE`).
    public static let maxValueLength = 4096

    /// The service attribute used.
    public let service: String
    private let accessGroup: String?

    /// A store under `service`, optionally in a shared `accessGroup` (an app extension).
    public init(service: String = KeychainSecretStore.defaultService, accessGroup: String? = nil) {
        self.service = service
        self.accessGroup = accessGroup
    }

    /// Reads the value under `key`, or nil if there is none.
    public func get(key: String) throws -> Data? {
        try Self.check(key: key, value: nil)
        var query = baseQuery(account: key)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        switch status {
        case errSecSuccess:
            guard let data = result as? Data else {
                throw SecretStoreError.Corrupt(reason: "Keychain item `\(key)` holds no data")
            }
            return data
        case errSecItemNotFound:
            return nil
        default:
            throw Self.map(status, operation: "read", key: key)
        }
    }

    /// Stores `value` under `key`, replacing any previous value.
    public func set(key: String, value: Data) throws {
        try Self.check(key: key, value: value)
        let attributes: [String: Any] = [
            kSecValueData as String: value,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        let status = SecItemUpdate(baseQuery(account: key) as CFDictionary, attributes as CFDictionary)
        switch status {
        case errSecSuccess:
            return
        case errSecItemNotFound:
            var add = baseQuery(account: key)
            add.merge(attributes) { _, new in new }
            let added = SecItemAdd(add as CFDictionary, nil)
            guard added == errSecSuccess else { throw Self.map(added, operation: "add", key: key) }
        default:
            throw Self.map(status, operation: "update", key: key)
        }
    }

    /// Removes the entry under `key`; removing an absent entry is not an error.
    public func delete(key: String) throws {
        try Self.check(key: key, value: nil)
        let status = SecItemDelete(baseQuery(account: key) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw Self.map(status, operation: "delete", key: key)
        }
    }

    /// Removes every entry of this service (Settings → wipe data).
    public func deleteAll() throws {
        var query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecUseDataProtectionKeychain as String: true,
        ]
        if let accessGroup { query[kSecAttrAccessGroup as String] = accessGroup }
        let status = SecItemDelete(query as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw Self.map(status, operation: "delete all", key: service)
        }
    }

    private func baseQuery(account: String) -> [String: Any] {
        var query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            // The iOS-style keychain on macOS as well (no legacy file keychain prompts).
            kSecUseDataProtectionKeychain as String: true,
            kSecAttrSynchronizable as String: false,
        ]
        if let accessGroup { query[kSecAttrAccessGroup as String] = accessGroup }
        return query
    }

    /// The entry rules every `SecretStore` honours (same as the core's Rust stores).
    static func check(key: String, value: Data?) throws {
        func bad(_ rule: String) -> SecretStoreError {
            .InvalidEntry(key: String(key.prefix(64)), rule: rule)
        }
        if key.isEmpty { throw bad("name is empty") }
        if key.utf8.count > maxKeyLength {
            throw bad("name is \(key.utf8.count) bytes; the limit is \(maxKeyLength)")
        }
        let allowed = key.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x2E || b == 0x5F || b == 0x2D
        }
        if !allowed { throw bad("name has characters outside [A-Za-z0-9._-]") }
        if let value, value.count > maxValueLength {
            throw bad("value is \(value.count) bytes; the limit is \(maxValueLength)")
        }
    }

    /// Maps a Keychain status to the core's error, naming the operation and the OS message.
    static func map(_ status: OSStatus, operation: String, key: String) -> SecretStoreError {
        let text = (SecCopyErrorMessageString(status, nil) as String?) ?? "OSStatus \(status)"
        let reason = "Keychain \(operation) of `\(key)` failed: \(text) (\(status))"
        switch status {
        case errSecInteractionNotAllowed:
            // Before the first unlock after a reboot (or a locked device for stricter classes).
            return .Locked(reason: reason)
        case errSecNotAvailable, errSecMissingEntitlement, errSecNoSuchKeychain:
            return .Unavailable(reason: reason)
        case errSecDecode, errSecInvalidData:
            return .Corrupt(reason: reason)
        case errSecParam:
            return .InvalidEntry(key: String(key.prefix(64)), rule: reason)
        default:
            return .Backend(reason: reason)
        }
    }
}
#endif
