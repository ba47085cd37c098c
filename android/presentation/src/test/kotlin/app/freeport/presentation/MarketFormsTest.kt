package app.freeport.presentation

import app.freeport.core.EntryValue
import app.freeport.core.FieldViolation
import app.freeport.core.Format
import app.freeport.core.FormEntry
import app.freeport.core.FreeportException
import app.freeport.core.Rule
import app.freeport.core.TermValue
import app.freeport.core.TermView
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/**
 * The market form is the core's, and so is every rule about what goes in it: the screen only
 * places the core's violations under the right fields (the post flow itself is in PostAndBrowseTest).
 */
class MarketFormsTest {

    @Test
    fun `the form comes from the core with its kinds, options and limits`() = runBlocking<Unit> {
        Phone(relayUrl = null).use { phone ->
            val goods = phone.core.markets().first { it.schema == "goods/1" }
            assertEquals(
                listOf("/item", "/condition", "/price", "/currency", "/location", "/notes", "/photos"),
                goods.form.map { it.path },
            )
            val price = goods.form.first { it.path == "/price" }
            assertEquals(InputKind.NUMBER, price.input)
            assertTrue(price.required)
            assertEquals(0.0, price.minimum)
            assertEquals(listOf("new", "like_new", "good", "fair", "for_parts"), goods.form.first { it.path == "/condition" }.options.map { it.value })
            assertEquals(8u, goods.form.first { it.path == "/photos" }.maxItems)
        }
    }

    @Test
    fun `the markets read in the language the app gives, and the payload stays the same`() = runBlocking<Unit> {
        Phone(relayUrl = null).use { phone ->
            val english = phone.core.markets()
            val entries = listOf(
                FieldValue.Text("Vélo").toEntry("/item"),
                FieldValue.Text("like_new").toEntry("/condition"),
                FieldValue.Text("120").toEntry("/price"),
                FieldValue.Text("EUR").toEntry("/currency"),
                FieldValue.Place("Bastille", "u09tv").toEntry("/location"),
            )
            val before = phone.core.buildPayload("goods", entries)

            // What Android's LocaleList.toLanguageTags() gives, split: French first.
            phone.core.setLocales(listOf("fr-FR", "en-US"))
            val goods = phone.core.markets().first { it.schema == "goods/1" }
            assertEquals("Objets d'occasion", goods.title)
            val condition = goods.form.first { it.path == "/condition" }
            assertEquals("État", condition.label)
            assertEquals("Comme neuf", condition.options.first { it.value == "like_new" }.label)
            assertEquals(english.first { it.schema == "goods/1" }.form.map { it.path }, goods.form.map { it.path })
            assertEquals(before, phone.core.buildPayload("goods", entries))

            // The browse screen's selected market follows the language on reload.
            val vm = BrowseViewModel(phone.core, phone.scope)
            vm.load().join()
            phone.core.setLocales(listOf("ar-EG"))
            vm.load().join()
            assertEquals("مشاركة الرحلات", vm.state.value.market?.title)

            // Unknown tags: English.
            phone.core.setLocales(listOf("nl-NL", "not a tag"))
            assertEquals(english, phone.core.markets())
        }
    }

    @Test
    fun `the core builds the payload and each violation lands on its field`() = runBlocking<Unit> {
        Phone(relayUrl = null).use { phone ->
            val payload = phone.core.buildPayload(
                "goods",
                listOf(
                    FieldValue.Text(" Road bike ").toEntry("/item"),
                    FieldValue.Text("good").toEntry("/condition"),
                    FieldValue.Text("120").toEntry("/price"),
                    FieldValue.Text("sgd").toEntry("/currency"),
                    FieldValue.Place("Bishan", "W21Z7").toEntry("/location"),
                ),
            )
            assertTrue(payload.contains("\"price\":120") && payload.contains("\"currency\":\"SGD\""), payload)

            val e = assertThrows<FreeportException.InvalidInput> {
                runBlocking {
                    phone.core.buildPayload(
                        "goods",
                        listOf(
                            FormEntry("/price", EntryValue.Text("twelve")),
                            FormEntry("/currency", EntryValue.Text("dollars")),
                            FormEntry("/location", EntryValue.Place("Bishan", "w21z!")),
                        ),
                    )
                }
            }.toUiError()
            val goods = phone.core.markets().first { it.schema == "goods/1" }
            val placed = PostIntentViewModel.fieldErrorsFor(e, goods.form)
            assertEquals(listOf(Rule.NotANumber), placed["/price"]?.violations?.map { it.rule })
            assertEquals(listOf(Rule.BadFormat(Format.CURRENCY_CODE)), placed["/currency"]?.violations?.map { it.rule })
            // `/location/geohash` goes under the location field, with its own pointer kept.
            assertEquals(
                listOf(FieldViolation("/location/geohash", Rule.BadFormat(Format.GEOHASH))),
                placed["/location"]?.violations,
            )
            assertEquals(Rule.Required, placed["/item"]?.violations?.single()?.rule)
            assertEquals(null, placed[""], "every violation has a field on this form")
        }
    }

    @Test
    fun `a violation goes under its enclosing form field, a named input, or nowhere`() {
        val paths = listOf("/from", "/from/extra", "/to")
        fun at(field: String) = MarketForms.placeOf(FieldViolation(field, Rule.Required), paths, listOf("title"))
        assertEquals("/from", at("/from"))
        assertEquals("/from", at("/from/geohash"))
        assertEquals("/from/extra", at("/from/extra/x"), "the closest enclosing field")
        assertEquals("title", at("title"))
        assertEquals("", at("/fromage"), "a prefix of a name is not a parent")
        assertEquals("", at("expires_in"))
    }

    @Test
    fun `counter edits name their term by pointer and leave out what is unchanged`() {
        assertEquals(FormEntry("/price", EntryValue.Text("12")), MarketForms.termEntry("price", "12"))
        assertEquals("/a~1b~0c", MarketForms.termEntry("a/b~c", "x").path)
        val terms = listOf(
            TermView("/price", "Price", TermValue.Money("10", "SGD"), "10", emptyList()),
            TermView("/note", "Note", TermValue.Text("x"), "x", emptyList()),
            TermView("/window", "Window", TermValue.Window(1uL, 2uL), null, emptyList()),
        )
        assertEquals(
            listOf(FormEntry("/price", EntryValue.Text("12")), FormEntry("/extra", EntryValue.Text("y"))),
            MarketForms.counterEntries(terms, linkedMapOf("/price" to "12", "/note" to "x", "/extra" to "y")),
        )
    }

    @Test
    fun `every precision has a cell size, coarse to fine`() {
        val sizes = (BrowseViewModel.MIN_PRECISION..BrowseViewModel.MAX_PRECISION).map { BrowseViewModel.cellKm(it) }
        assertEquals(sizes.sortedDescending(), sizes)
        assertEquals(4.9, BrowseViewModel.cellKm(5), 0.0)
        assertEquals(BrowseViewModel.cellKm(9), BrowseViewModel.cellKm(42), 0.0)
    }
}
