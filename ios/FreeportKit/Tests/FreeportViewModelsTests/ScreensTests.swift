import Foundation
import XCTest
import FreeportCore
@testable import FreeportViewModels

final class OnboardingTests: XCTestCase {
    @MainActor
    func testBackupThenRestoreOnAnotherPhoneWithTheRightPassphraseOnly() async throws {
        let first = try Phone(name: "first", relay: nil)
        let model = OnboardingModel(core: first.core)
        await model.create()
        guard case let .backupPrompt(id) = model.step else { return XCTFail("\(model.step)") }
        XCTAssertTrue(id.npub.hasPrefix("npub1"))

        // The passphrase rule is the core's, as codes per field while typing.
        model.backupPassphrase = "short"
        model.backupConfirmation = "short"
        XCTAssertEqual(model.backupPassphraseViolations, [FieldViolation(field: "passphrase", rule: .tooShort(min: 8))])
        await model.makeBackup()
        XCTAssertNil(model.backupText, "refused before calling the core")
        model.backupPassphrase = "correct horse battery"
        model.backupConfirmation = "correct horse batterY"
        XCTAssertEqual(model.backupPassphraseViolations, [FieldViolation(field: "confirmation", rule: .mismatch)])
        model.backupConfirmation = "correct horse battery"
        XCTAssertEqual(model.backupPassphraseViolations, [])
        // And the core enforces it whatever a screen does.
        do {
            _ = try await first.core.exportBackup(passphrase: "seven!!")
            XCTFail("a 7-character passphrase was accepted")
        } catch let FreeportError.InvalidInput(violations) {
            XCTAssertEqual(violations, [FieldViolation(field: "passphrase", rule: .tooShort(min: 8))])
        }
        await model.makeBackup()
        let backup = try XCTUnwrap(model.backupText, "\(String(describing: model.error))")
        XCTAssertTrue(backup.hasPrefix("ncryptsec1"), backup)
        XCTAssertEqual(model.backupPassphrase, "", "passphrase cleared once used")
        model.finish()
        XCTAssertEqual(model.step, .done(id))

        // A second phone: a wrong passphrase changes nothing; the right one restores the key.
        let second = try Phone(name: "second", relay: nil)
        let restore = OnboardingModel(core: second.core)
        XCTAssertFalse(restore.canRestore)
        restore.restoreText = "  \(backup)\n"
        restore.restorePassphrase = "wrong passphrase"
        XCTAssertTrue(restore.canRestore)
        await restore.restore()
        XCTAssertNotNil(restore.error)
        XCTAssertEqual(restore.step, .choose)
        let hasIdentity = second.core.hasIdentity()
        XCTAssertFalse(hasIdentity)
        restore.restorePassphrase = "correct horse battery"
        await restore.restore()
        XCTAssertEqual(restore.step, .done(id), "\(String(describing: restore.error))")
        XCTAssertEqual(restore.restorePassphrase, "")

        let app = AppModel(core: second.core)
        await app.start()
        XCTAssertEqual(app.phase, .ready(id))
    }

    @MainActor
    func testCreatingTwiceIsRefused() async throws {
        let phone = try Phone(name: "twice", relay: nil)
        await OnboardingModel(core: phone.core).create()
        let again = OnboardingModel(core: phone.core)
        await again.create()
        XCTAssertEqual(again.step, .choose)
        XCTAssertNotNil(again.error)
    }
}

final class PostIntentTests: XCTestCase {
    @MainActor
    func testEveryMarketFormDecodes() async throws {
        let phone = try Phone(name: "forms", relay: nil)
        let markets = phone.core.markets()
        XCTAssertGreaterThanOrEqual(markets.count, 3)
        for m in markets {
            let form = PostIntentModel(core: phone.core, market: m)
            XCTAssertFalse(form.fields.isEmpty, m.topic)
            XCTAssertEqual(Set(form.fields.map(\.path)).count, form.fields.count, "paths are unique")
        }
        let ride = try XCTUnwrap(markets.first { $0.topic == rideshare })
        let fields = PostIntentModel(core: phone.core, market: ride).fields
        XCTAssertEqual(fields.first?.input, .location)
        XCTAssertTrue(fields.first?.required ?? false)
        XCTAssertEqual(fields.first { $0.path == "/category" }?.options.map(\.value), ["car", "motorbike", "van", "other"])
        // The schema's limits come with the form.
        XCTAssertEqual(fields.first { $0.path == "/images" }?.maxItems, 20)
    }

    @MainActor
    func testMarketsReadInTheUsersLanguageAndPayloadsStayTheSame() async throws {
        let phone = try Phone(name: "languages", relay: nil)
        let english = phone.core.markets()
        final class Preferred: @unchecked Sendable { var tags = ["ja-JP", "en-US"] }
        let preferred = Preferred()
        let app = AppModel(core: phone.core, languages: { preferred.tags })
        await app.start()
        XCTAssertEqual(app.languagesRevision, 1)
        let goods = try XCTUnwrap(phone.core.markets().first { $0.schema == "goods/1" })
        XCTAssertEqual(goods.title, "中古品")
        let condition = try XCTUnwrap(goods.form.first { $0.path == "/condition" })
        XCTAssertEqual(condition.label, "状態")
        XCTAssertEqual(condition.options.map(\.value), ["new", "like_new", "good", "fair", "for_parts"])
        XCTAssertEqual(condition.options.first { $0.value == "like_new" }?.label, "未使用に近い")

        // The browse screen reloads its markets when the languages change.
        let browse = BrowseModel(core: phone.core)
        await browse.loadMarkets()
        XCTAssertEqual(browse.markets.first { $0.topic == rideshare }?.title, "相乗り")
        preferred.tags = ["pt-PT"]
        await app.languagesChanged()
        XCTAssertEqual(app.languagesRevision, 2)
        await browse.loadMarkets()
        XCTAssertEqual(browse.markets.first { $0.topic == rideshare }?.title, "Carona")

        // Unknown languages read the markets' own English.
        preferred.tags = ["nl-NL", "not a tag"]
        await app.languagesChanged()
        XCTAssertEqual(phone.core.markets(), english)
    }

    @MainActor
    func testLocalProblemsThenCoreValidationThenPostAndWithdraw() async throws {
        let phone = try Phone(name: "poster", relay: nil)
        _ = try phone.core.createIdentity()
        let markets = phone.core.markets()
        let ride = try XCTUnwrap(markets.first { $0.topic == rideshare })
        let form = PostIntentModel(core: phone.core, market: ride)
        form.powBits = 0
        form.title = "Ride"

        // Required places missing: the core says so, under each field, at once.
        await form.submit()
        XCTAssertEqual(form.problems(for: "/from").map(\.rule), [.required])
        XCTAssertEqual(form.problems(for: "/to").map(\.rule), [.required])
        XCTAssertEqual(form.problems(for: "title"), [])
        XCTAssertNil(form.posted)

        // A place with a geohash the schema refuses, a vehicle that is not an option, a bad
        // area: each lands on its own input, with its own pointer.
        form.entries["/from"] = FieldEntry(text: "Raffles Place", geohash: "w21z7")
        form.entries["/to"] = FieldEntry(text: "Nowhere", geohash: "not-a-geohash")
        form.entries["/category"] = FieldEntry(text: "rocket")
        form.area = "ai!"
        await form.submit()
        XCTAssertNil(form.posted)
        XCTAssertNil(form.error, "input problems are not a general error")
        XCTAssertEqual(form.problems(for: "/to"), [FieldViolation(field: "/to/geohash", rule: .badFormat(format: .geohash))])
        XCTAssertEqual(form.problems(for: "/from"), [])
        if case .notAnOption? = form.problems(for: "/category").first?.rule {} else {
            XCTFail("\(form.problems(for: "/category"))")
        }
        XCTAssertEqual(form.problems(for: "geohash").map(\.rule), [.badFormat(format: .geohash)])
        XCTAssertEqual(form.problems(for: ""), [], "every violation has an input on this form")
        form.area = nil

        // Fixed: posted, in the area of the first place, and listed in My intents.
        form.entries["/to"] = FieldEntry(text: "Changi Airport", geohash: "w21zg")
        form.entries["/category"] = FieldEntry(text: "car")
        form.side = .request
        await form.submit()
        let posted = try XCTUnwrap(form.posted, "\(String(describing: form.error)) \(form.violations)")
        XCTAssertEqual(posted.side, .request)
        XCTAssertEqual(posted.actions, [.withdraw])
        XCTAssertEqual(posted.geohash.map { String($0.prefix(5)) }, "w21z7")
        let payload = try XCTUnwrap(JSONText.object(posted.payloadJson))
        XCTAssertEqual((payload["from"] as? [String: Any])?["name"] as? String, "Raffles Place")
        XCTAssertEqual(payload["category"] as? String, "car")
        XCTAssertNil(payload["payment"], "empty optional fields are left out")

        let mine = MyIntentsModel(core: phone.core)
        await mine.refresh()
        XCTAssertEqual(mine.intents.map(\.id), [posted.id])
        await mine.withdraw(posted.id)
        XCTAssertNil(mine.error, "\(String(describing: mine.error))")
        XCTAssertEqual(mine.intents.first?.withdrawn, true)
        XCTAssertEqual(mine.intents.first?.actions, [], "nothing to do with a withdrawn intent")
    }

    @MainActor
    func testTheCoreBuildsNumbersAndCodesFromWhatWasTyped() async throws {
        let phone = try Phone(name: "numbers", relay: nil)
        let goods = try XCTUnwrap(phone.core.markets().first { $0.schema == "goods/1" })
        let form = PostIntentModel(core: phone.core, market: goods)
        form.entries["/item"] = FieldEntry(text: "Road bike")
        form.entries["/condition"] = FieldEntry(text: "good")
        form.entries["/price"] = FieldEntry(text: "12,5")
        form.entries["/currency"] = FieldEntry(text: "sgd")
        form.entries["/location"] = FieldEntry(text: "Bishan", geohash: "W21Z7")
        do {
            _ = try await phone.core.buildPayload(market: goods.topic, entries: form.formEntries)
            XCTFail("12,5 is not a number")
        } catch let FreeportError.InvalidInput(violations) {
            XCTAssertEqual(violations, [FieldViolation(field: "/price", rule: .notANumber)])
        }
        form.entries["/price"] = FieldEntry(text: "12.5")
        let json = try await phone.core.buildPayload(market: goods.topic, entries: form.formEntries)
        let p = try XCTUnwrap(JSONText.object(json))
        XCTAssertEqual(p["price"] as? Double, 12.5)
        XCTAssertEqual(p["currency"] as? String, "SGD", "the core upper-cases the code")
        XCTAssertEqual((p["location"] as? [String: Any])?["geohash"] as? String, "w21z7")
    }
}

final class BrowseTests: XCTestCase {
    @MainActor
    func testAreaFromLocationTypedAreaAndFarAwayFindsNothing() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let alice = try Phone(name: "alice", relay: relay.url())
        let bob = try Phone(name: "bob", relay: relay.url())
        for p in [alice, bob] {
            _ = try p.core.createIdentity()
            try await p.core.startNetwork()
        }
        let intent = try await postRide(alice.core)
        let browse = BrowseModel(core: bob.core)
        await browse.loadMarkets()
        XCTAssertNotNil(browse.market)
        browse.market = rideshare

        browse.precision = 4
        browse.useLocation(latitude: sgLat, longitude: sgLon)
        XCTAssertEqual(browse.area, "w21z")
        browse.useLocation(latitude: 91, longitude: 0)
        XCTAssertNotNil(browse.error, "latitude out of range is refused by the core")
        XCTAssertEqual(browse.area, "w21z", "a refused location keeps the previous area")

        await eventually("found near Singapore") {
            await browse.refresh()
            return browse.intents.contains { $0.id == intent.id }
        }
        // Paris: nothing from Singapore.
        browse.useTypedArea(" U09TV ")
        XCTAssertEqual(browse.area, "u09tv")
        browse.radius = 0
        await browse.refresh()
        XCTAssertNil(browse.error)
        XCTAssertFalse(browse.intents.contains { $0.id == intent.id })
        browse.useTypedArea("ai!")
        await browse.refresh()
        XCTAssertNotNil(browse.error, "a malformed area is refused by the core")
        browse.useTypedArea("")
        XCTAssertNil(browse.area)
        await browse.refresh()
        XCTAssertTrue(browse.intents.contains { $0.id == intent.id }, "no area = whole market")
    }
}

final class MeetTests: XCTestCase {
    /// Two phones with a confirmed deal, made through the core directly (the flow test covers
    /// the screens that get there).
    @MainActor
    func confirmedDeal() async throws -> (EmbeddedRelayHandle, Phone, Phone, String) {
        let relay = try await EmbeddedRelayHandle.start()
        let alice = try Phone(name: "alice", relay: relay.url())
        let bob = try Phone(name: "bob", relay: relay.url())
        for p in [alice, bob] {
            _ = try p.core.createIdentity()
            try await p.core.startNetwork()
        }
        let intent = try await postRide(alice.core)
        var found = false
        try await eventually("Bob sees the intent") {
            found = try await bob.core.browse(market: rideshare, near: nil, radius: 0).contains { $0.id == intent.id }
            return found
        }
        let deal = try await bob.core.respondAccept(intentId: intent.id)
        try await eventually("Alice gets the quote") { try alice.core.quotes(intentId: intent.id).count == 1 }
        _ = try await alice.core.pick(nego: deal.nego)
        try await eventually("Bob sees it confirmed") { try bob.core.deal(nego: deal.nego).state == .confirmed }
        return (relay, alice, bob, deal.nego)
    }

    @MainActor
    func testCodeRotatesOnTheCountdownAndAnOldCodeStillFailsAfterUse() async throws {
        let (relay, alice, bob, nego) = try await confirmedDeal()
        defer { relay.stop() }
        let clock = TestClock(UInt64(Date().timeIntervalSince1970))
        let show = MeetShowModel(core: alice.core, nego: nego, pngPixels: 200, clock: clock.clock)
        await show.tick()
        let first = try XCTUnwrap(show.code, "\(String(describing: show.error))")
        XCTAssertEqual(show.rotations, 1)
        XCTAssertGreaterThan(first.refreshAt, first.createdAt)
        XCTAssertGreaterThanOrEqual(first.expiresAt, first.refreshAt)
        clock.now = first.refreshAt - 1
        await show.tick()
        XCTAssertEqual(show.secondsToRefresh, 1)
        XCTAssertEqual(show.rotations, 1)
        clock.now = first.refreshAt
        await show.tick()
        XCTAssertEqual(show.rotations, 2)
        // The core owns rotation: asked at the model's refresh time it answers with the code
        // valid now (the same one until the core's own clock reaches refresh_at).
        XCTAssertNotNil(show.code, "\(String(describing: show.error))")
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(show.code?.refreshAt), first.refreshAt)

        // A code for this deal shown to the wrong phone: Alice scanning her own code.
        let own = MeetScanModel(core: alice.core)
        await own.scan(text: try XCTUnwrap(show.code?.token))
        XCTAssertNil(own.result)
        XCTAssertNotNil(own.hint)
        XCTAssertTrue(own.scanning, "a refused code keeps the camera going")

        // Not a Freeport code at all.
        let bobScan = MeetScanModel(core: bob.core)
        await bobScan.scan(text: "https://example.com")
        XCTAssertNil(bobScan.result)
        XCTAssertNotNil(bobScan.hint)
        // Then the real one.
        await bobScan.scan(text: try XCTUnwrap(show.code?.token))
        XCTAssertEqual(bobScan.result?.outcome.state, .met, "\(String(describing: bobScan.hint))")
        XCTAssertNil(bobScan.hint)
    }

    @MainActor
    func testCameraFrameWithRowPaddingIsDecodedAndBlankFramesKeepScanning() async throws {
        let (relay, alice, bob, nego) = try await confirmedDeal()
        defer { relay.stop() }
        let show = MeetShowModel(core: alice.core, nego: nego)
        await show.refresh()
        let code = try XCTUnwrap(show.code)
        let scan = MeetScanModel(core: bob.core)

        // A blank (all light) frame: no code, scanning goes on.
        let blank = Data(repeating: 255, count: 64 * 48)
        let used = await scan.scan(width: 64, height: 48, stride: 64, luma: blank)
        XCTAssertTrue(used)
        XCTAssertNil(scan.result)
        XCTAssertNotNil(scan.hint)
        // A frame whose buffer is shorter than height × stride is refused, not read past its end.
        await scan.scan(width: 64, height: 48, stride: 80, luma: blank)
        XCTAssertNil(scan.result)
        XCTAssertNotNil(scan.hint)

        let frame = lumaFrame(fromTerminal: code.terminal)
        XCTAssertGreaterThan(frame.stride, frame.width)
        await scan.scan(width: UInt32(frame.width), height: UInt32(frame.height), stride: UInt32(frame.stride), luma: frame.data)
        let met = try XCTUnwrap(scan.result, "\(String(describing: scan.hint))")
        XCTAssertEqual(met.outcome.state, .met)
        XCTAssertEqual(scan.framesDecoded, 3)

        // Scanning stopped: later frames are dropped without reaching the core.
        let dropped = await scan.scan(width: UInt32(frame.width), height: UInt32(frame.height), stride: UInt32(frame.stride), luma: frame.data)
        XCTAssertFalse(dropped)
        XCTAssertEqual(scan.framesDropped, 1)

        // The return code as a picture (PNG) completes Alice's side.
        let back = try XCTUnwrap(met.outcome.returnPng)
        let aliceScan = MeetScanModel(core: alice.core)
        await aliceScan.scan(image: back)
        XCTAssertEqual(aliceScan.result?.outcome.sasWords, met.outcome.sasWords, "\(String(describing: aliceScan.hint))")
    }

    @MainActor
    func testNoCodeBeforeTheDealIsConfirmed() async throws {
        let phone = try Phone(name: "lonely", relay: nil)
        _ = try phone.core.createIdentity()
        let show = MeetShowModel(core: phone.core, nego: "not-a-nego")
        await show.refresh()
        XCTAssertNil(show.code)
        XCTAssertNotNil(show.error)
        let rate = RateModel(core: phone.core, nego: "not-a-nego")
        rate.safe = true
        rate.reliable = false
        await rate.submit()
        XCTAssertFalse(rate.done)
        XCTAssertNotNil(rate.error)
    }
}

final class ScreenProfileSettingsTests: XCTestCase {
    @MainActor
    func testScreenRefusesSecretKeysAndGarbageBeforeAskingTheCore() async throws {
        let phone = try Phone(name: "screener", relay: nil)
        let me = try phone.core.createIdentity()
        let screen = ScreenModel(core: phone.core)
        screen.input = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
        await screen.screen()
        XCTAssertNil(screen.card)
        XCTAssertEqual(screen.keyProblem, .isSecretKey)
        screen.input = "hello"
        XCTAssertNil(screen.keyProblem, "editing clears the problem")
        await screen.screen()
        XCTAssertEqual(screen.keyProblem, .badFormat(format: .publicKey))

        // A stranger: unknown, no deals, no path.
        screen.input = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
        await screen.screen()
        let card = try XCTUnwrap(screen.card, "\(String(describing: screen.error))")
        XCTAssertEqual(card.subjectNpub, "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg")
        XCTAssertEqual(card.deals, 0)
        XCTAssertEqual(card.verdict, .unknown)
        XCTAssertEqual(card.reasons.first, .noRatingsFromNetwork)
        XCTAssertTrue(screen.path.isEmpty)
        XCTAssertNotEqual(card.subject, me.pubkey)
    }

    @MainActor
    func testPhoneIsMaskedUnlessTheWarningWasAcknowledged() async throws {
        let phone = try Phone(name: "profile", relay: nil)
        _ = try phone.core.createIdentity()
        let model = ProfileModel(core: phone.core)
        XCTAssertFalse(model.fullNumberWarningText.isEmpty)
        await model.load()
        XCTAssertNil(model.publishedPhone)

        model.name = " Alice "
        model.phone = "+65 9123 4567"
        await model.save()
        XCTAssertNil(model.error, "\(String(describing: model.error))")
        XCTAssertEqual(model.profile?.name, "Alice")
        let masked = try XCTUnwrap(model.publishedPhone)
        XCTAssertFalse(masked.contains("91234567"), masked)
        XCTAssertFalse(model.profile?.phoneIsFull ?? true)
        XCTAssertNotNil(model.profile?.phoneCommit)
        XCTAssertEqual(model.phone, "", "the number field is cleared after saving")

        // Turning on full publication shows the warning; declining goes back to masked.
        model.publishFullNumber = true
        XCTAssertTrue(model.warningPresented)
        model.declineWarning()
        XCTAssertFalse(model.publishFullNumber)
        XCTAssertFalse(model.warningPresented)

        // Acknowledged (on a second phone: two profile saves in the same second would share a
        // timestamp, and a replaceable event with the same timestamp does not replace).
        let second = try Phone(name: "profile2", relay: nil)
        _ = try second.core.createIdentity()
        let full = ProfileModel(core: second.core)
        await full.load()
        full.publishFullNumber = true
        XCTAssertTrue(full.warningPresented)
        full.acknowledgeWarning()
        XCTAssertFalse(full.warningPresented)
        full.phone = "+6591234567"
        await full.save()
        XCTAssertNil(full.error, "\(String(describing: full.error))")
        XCTAssertEqual(full.profile?.phoneIsFull, true)
        XCTAssertTrue(full.publishedPhone?.contains("91234567") ?? false, "\(String(describing: full.publishedPhone))")

        // A malformed number is refused with the field named; the published profile stays.
        let bad = ProfileModel(core: second.core)
        await bad.load()
        XCTAssertTrue(bad.publishFullNumber, "the opt-in is restored from the published profile")
        bad.phone = "12"
        await bad.save()
        XCTAssertNotNil(bad.error)
        XCTAssertEqual(bad.profile?.phoneIsFull, true)
    }

    @MainActor
    func testSettingsRelaysBackupAndWipeNeedsConfirmation() async throws {
        let relay = try await EmbeddedRelayHandle.start()
        defer { relay.stop() }
        let phone = try Phone(name: "settings", relay: relay.url())
        _ = try phone.core.createIdentity()
        let app = AppModel(core: phone.core)
        await app.start()
        XCTAssertTrue(app.online, "\(String(describing: app.networkError))")
        let wipedFlag = TestClock(0)
        let dir = phone.dir
        let store = phone.store
        let settings = SettingsModel(core: phone.core) {
            try FileManager.default.removeItem(at: dir)
            store.removeAll()
            wipedFlag.now = 1
        }
        XCTAssertEqual(settings.coreVersion, coreVersion())
        await eventually("relay connected") {
            await settings.refresh()
            return settings.isConnected(relay.url())
        }
        // A relay added online is connected at once (no restart).
        let second = try await EmbeddedRelayHandle.start()
        defer { second.stop() }
        settings.setDraft(.inbox, second.url())
        await settings.addRelay(.inbox)
        XCTAssertEqual(settings.list(.inbox), [relay.url(), second.url()], "\(settings.violations)")
        await eventually("the new inbox relay connected") {
            await settings.refresh()
            return settings.isConnected(second.url())
        }

        settings.backupPassphrase = "1234"
        await settings.makeBackup()
        XCTAssertNil(settings.backupText)
        XCTAssertEqual(settings.backupPassphraseViolations.map(\.rule), [.tooShort(min: 8)])
        settings.backupPassphrase = "a long passphrase"
        await settings.makeBackup()
        XCTAssertTrue(settings.backupText?.hasPrefix("ncryptsec1") ?? false)

        await settings.confirmWipe()
        XCTAssertFalse(settings.wiped, "no wipe without the confirmation step")
        XCTAssertEqual(wipedFlag.now, 0)
        settings.requestWipe()
        settings.cancelWipe()
        await settings.confirmWipe()
        XCTAssertFalse(settings.wiped)
        settings.requestWipe()
        await settings.confirmWipe()
        XCTAssertTrue(settings.wiped, "\(String(describing: settings.error))")
        XCTAssertTrue(store.keys.isEmpty)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path))
    }
}

final class SupportTests: XCTestCase {
    private let sg = TimeZone(identifier: "Asia/Singapore")!

    func testRowsRenderTheCoresTypedTermsInTheLocale() {
        let terms = [
            TermView(path: "/from", label: "From", value: .place(name: "Bishan", geohash: "w21z7"), editText: "Bishan", options: []),
            TermView(path: "/condition", label: "Condition", value: .choice(value: "like_new", label: "Like new"), editText: "like_new", options: [FormOption(value: "new", label: "New"), FormOption(value: "like_new", label: "Like new")]),
            TermView(path: "/price", label: "Price", value: .money(amount: "1200", currency: "SGD"), editText: "1200", options: []),
            TermView(path: "/seats", label: "Seats", value: .number(value: 1234.5), editText: "1234.5", options: []),
            TermView(path: "/photos", label: "Photos", value: .items(items: ["a", "b"]), editText: "a\nb", options: []),
            TermView(path: "/window", label: "Window", value: .window(start: 1_780_095_600, end: 1_780_099_200), editText: nil, options: []),
        ]
        let en = TermRow.rows(terms, locale: Locale(identifier: "en_US"), timeZone: sg)
        XCTAssertEqual(en.map(\.path), ["/from", "/condition", "/price", "/seats", "/photos", "/window"])
        XCTAssertEqual(en.map(\.label), ["From", "Condition", "Price", "Seats", "Photos", nil], "the window takes the app's own label")
        XCTAssertEqual(en[0].text, "Bishan")
        XCTAssertEqual(en[1].text, "Like new")
        XCTAssertEqual(en[2].text.replacingOccurrences(of: "\u{00A0}", with: " "), "SGD 1,200")
        XCTAssertEqual(en[3].text, "1,234.5")
        XCTAssertEqual(en[4].text, "a, b")
        XCTAssertEqual(en[2].editText, "1200", "edited as the core wrote it, not localised")
        XCTAssertNil(en[5].editText)
        XCTAssertEqual(en[1].options.map(\.value), ["new", "like_new"], "a select is picked from its options")
        XCTAssertTrue(en.filter { $0.path != "/condition" }.allSatisfy { $0.options.isEmpty })
        let de = TermRow.rows(terms, locale: Locale(identifier: "de_DE"), timeZone: sg)
        XCTAssertEqual(de[2].text.replacingOccurrences(of: "\u{00A0}", with: " "), "1.200 SGD")
        XCTAssertEqual(de[3].text, "1.234,5")
    }

    func testMoneyReadsAsTheLocaleWritesIt() {
        func plain(_ s: String) -> String { s.replacingOccurrences(of: "\u{00A0}", with: " ").replacingOccurrences(of: "\u{202F}", with: " ") }
        let en = Locale(identifier: "en_US")
        XCTAssertEqual(plain(Formats.money(amount: "1200", currency: "SGD", locale: en)), "SGD 1,200")
        XCTAssertEqual(plain(Formats.money(amount: "15.5", currency: "SGD", locale: en)), "SGD 15.50")
        XCTAssertEqual(plain(Formats.money(amount: "0", currency: "SGD", locale: en)), "SGD 0")
        XCTAssertEqual(plain(Formats.money(amount: "1000000000", currency: "USD", locale: en)), "$1,000,000,000")
        XCTAssertEqual(plain(Formats.money(amount: "1234.5", currency: "EUR", locale: Locale(identifier: "de_DE"))), "1.234,50 €")
        XCTAssertEqual(plain(Formats.money(amount: "250000", currency: "VND", locale: Locale(identifier: "vi_VN"))), "250.000 ₫")
        let arabic = Formats.money(amount: "1200", currency: "SGD", locale: Locale(identifier: "ar"))
        XCTAssertTrue(arabic.contains("١٬٢٠٠"), arabic)
        // A code the platform does not know: the number, then the code.
        XCTAssertEqual(Formats.money(amount: "1200.5", currency: "ZZZ", locale: en), "1,200.5 ZZZ")
        XCTAssertEqual(Formats.money(amount: "lots", currency: "SGD", locale: en), "lots SGD")
    }

    func testWindowsReadAsTheLocalesDateRange() {
        let en = Formats.window(start: 1_780_095_600, end: 1_780_099_200, locale: Locale(identifier: "en_US"), timeZone: sg)
        XCTAssertTrue(en.contains("May 30") && en.contains("7:00") && en.contains("8:00"), en)
        let ar = Formats.window(start: 1_780_095_600, end: 1_780_099_200, locale: Locale(identifier: "ar"), timeZone: sg)
        XCTAssertNotEqual(ar, en)
    }

    func testPhoneNumbersAndKeysAreIsolatedLeftToRight() {
        XCTAssertEqual(Formats.ltr("+65••••4321"), "\u{2066}+65••••4321\u{2069}")
        XCTAssertEqual(Formats.ltr(""), "\u{2066}\u{2069}")
        // The check-in notification from a contact without a name shows their key isolated.
        let key = "npub1bobk4x9c3v7b2n5m8q1w4e6r7t9y0u2i3o5p"
        XCTAssertEqual(Formats.ltr(String(key.prefix(16)) + "…"), "\u{2066}npub1bobk4x9c3v7…\u{2069}")
    }

    func testFormatsFollowTheLocale() {
        XCTAssertEqual(Formats.percent(0.72, locale: Locale(identifier: "en")), "72%")
        XCTAssertEqual(Formats.percent(0.72, locale: Locale(identifier: "de_DE")), "72\u{00A0}%")
        XCTAssertEqual(Formats.percent(0.72, locale: Locale(identifier: "tr")), "%72")
        XCTAssertTrue(Formats.percent(0.72, locale: Locale(identifier: "ar")).contains("٧٢"))
        XCTAssertEqual(Formats.seconds(45, locale: Locale(identifier: "en")), "45 seconds")
        XCTAssertEqual(Formats.seconds(1, locale: Locale(identifier: "en")), "1 second")
        XCTAssertEqual(Formats.seconds(45, locale: Locale(identifier: "de_DE")), "45 Sekunden")
        XCTAssertEqual(Formats.seconds(3, locale: Locale(identifier: "ru")), "3 секунды")
        XCTAssertEqual(Formats.seconds(5, locale: Locale(identifier: "ru")), "5 секунд")
    }

    func testRelativeTimesAreWholeUnitsInTheLocale() {
        let now: UnixTime = 1_780_000_000
        let en = Locale(identifier: "en")
        XCTAssertEqual(Formats.relative(now + 3 * 86_400 + 5 * 3_600, now: now, locale: en), "in 3 days")
        XCTAssertEqual(Formats.relative(now + 86_400, now: now, locale: en), "in 1 day")
        XCTAssertEqual(Formats.relative(now + 5 * 3_600 + 59 * 60, now: now, locale: en), "in 5 hours")
        XCTAssertEqual(Formats.relative(now - 120, now: now, locale: en), "2 minutes ago")
        XCTAssertEqual(Formats.relative(now + 10, now: now, locale: en), "in 1 minute")
        XCTAssertEqual(Formats.relative(now + 3 * 86_400, now: now, locale: Locale(identifier: "fr")), "dans 3 jours")
        XCTAssertEqual(Formats.relative(now + 3 * 86_400, now: now, locale: Locale(identifier: "ru")), "через 3 дня")
    }

    func testShortKey() {
        XCTAssertEqual(shortKey("npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"), "npub10elfc…jptg")
        XCTAssertEqual(shortKey("abc"), "abc")
    }
}
