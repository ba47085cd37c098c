package app.freeport.presentation

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertTrue

/** The form/payload plumbing on its own (pure functions; the core-backed flow is in PostIntentViewModelTest). */
class MarketFormsTest {
    private val form = """[
        {"path":"/item","label":"Item","input":"text","required":true},
        {"path":"/price","label":"Price","input":"number","required":true},
        {"path":"/currency","label":"Currency","input":"currency"},
        {"path":"/where","label":"Where","input":"location"},
        {"path":"/photos","label":"Photos","input":"images"},
        {"path":"/kind","label":"Kind","input":"select","options":[{"value":"a","label":"A"}]},
        {"path":"/deep~1key/x","label":"Nested","input":"text"},
        {"path":"/future","label":"Future","input":"hologram"}
    ]"""

    @Test
    fun `parses every input kind and falls back to text for unknown ones`() {
        val fields = MarketForms.parse(form)
        assertEquals(listOf("/item", "/price", "/currency", "/where", "/photos", "/kind", "/deep~1key/x", "/future"), fields.map { it.path })
        assertEquals(InputKind.NUMBER, fields[1].input)
        assertEquals(InputKind.LOCATION, fields[3].input)
        assertEquals(listOf(FormOption("a", "A")), fields[5].options)
        assertEquals(InputKind.TEXT, fields[7].input)
        assertTrue(fields[0].required)
    }

    @Test
    fun `malformed form json is refused, not guessed`() {
        assertThrows<Exception> { MarketForms.parse("{") }
        assertThrows<IllegalArgumentException> { MarketForms.parse("""{"path":"/a"}""") }
        assertThrows<IllegalArgumentException> { MarketForms.parse("""[{"label":"no path"}]""") }
        assertThrows<IllegalArgumentException> { MarketForms.parse("""[1]""") }
    }

    @Test
    fun `builds typed payloads, skips blanks, nests pointers`() {
        val fields = MarketForms.parse(form)
        val r = MarketForms.payload(
            fields,
            mapOf(
                "/item" to FieldValue.Text("  Bike "),
                "/price" to FieldValue.Text("12.5"),
                "/currency" to FieldValue.Text("sgd"),
                "/where" to FieldValue.Place("Bishan", "W21Z7"),
                "/photos" to FieldValue.Text("https://a/1.jpg\nhttps://a/2.jpg, "),
                "/kind" to FieldValue.Text(""),
                "/deep~1key/x" to FieldValue.Text("v"),
            ),
        )
        val json = Json.parseToJsonElement(assertIs<MarketForms.Result.Ok>(r).payloadJson).jsonObject
        assertEquals("Bike", json["item"]!!.jsonPrimitive.content)
        assertEquals(12.5, json["price"]!!.jsonPrimitive.content.toDouble())
        assertEquals(false, json["price"]!!.jsonPrimitive.isString)
        assertEquals("SGD", json["currency"]!!.jsonPrimitive.content)
        assertEquals("w21z7", json["where"]!!.jsonObject["geohash"]!!.jsonPrimitive.content)
        assertEquals(2, json["photos"]!!.jsonArray.size)
        assertTrue("kind" !in json)
        assertEquals("v", json["deep/key"]!!.jsonObject["x"]!!.jsonPrimitive.content)
    }

    @Test
    fun `a number field with text is refused by the form itself`() {
        val fields = MarketForms.parse(form)
        val r = MarketForms.payload(fields, mapOf("/price" to FieldValue.Text("twelve")))
        val errors = assertIs<MarketForms.Result.Refused>(r).errors
        assertEquals(LocalError.NOT_A_NUMBER, errors["/price"]?.detail)
        val inf = MarketForms.payload(fields, mapOf("/price" to FieldValue.Text("Infinity")))
        assertIs<MarketForms.Result.Refused>(inf)
    }

    @Test
    fun `core schema violations land on their fields`() {
        val fields = MarketForms.parse(form)
        val rule = "goods/1 schema: at `/` breaks `required`: \"item\" is a required property; " +
            "at `/where` breaks `required`: \"geohash\" is a required property; at `/zzz` breaks `type`: value is not a string"
        val by = MarketForms.violationsByField(rule, fields)
        assertEquals("\"item\" is a required property", by["/item"])
        assertEquals("geohash: \"geohash\" is a required property", by["/where"])
        assertEquals("value is not a string", by[""])
        assertEquals(mapOf("" to "free text"), MarketForms.violationsByField("free text", fields))
    }

    @Test
    fun `counter edits keep the types of the terms they change`() {
        val terms = """{"price":10,"from":{"name":"A","geohash":"w21z7"},"note":"x"}"""
        val out = Json.parseToJsonElement(MarketForms.withValues(terms, mapOf("price" to "12", "from" to "B", "note" to "y"))) as JsonObject
        assertEquals(false, out["price"]!!.jsonPrimitive.isString)
        assertEquals("12", out["price"]!!.jsonPrimitive.content)
        assertEquals("B", out["from"]!!.jsonObject["name"]!!.jsonPrimitive.content)
        assertEquals("w21z7", out["from"]!!.jsonObject["geohash"]!!.jsonPrimitive.content)
        assertEquals("y", out["note"]!!.jsonPrimitive.content)
        assertEquals(listOf("price" to "10", "from" to "A", "note" to "x"), MarketForms.lines(terms))
        assertEquals(emptyList(), MarketForms.lines("not json"))
    }
}
