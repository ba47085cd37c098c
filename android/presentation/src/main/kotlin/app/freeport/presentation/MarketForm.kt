package app.freeport.presentation

import app.freeport.core.EntryValue
import app.freeport.core.FieldViolation
import app.freeport.core.FormEntry
import app.freeport.core.FormFieldView
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.double
import kotlinx.serialization.json.doubleOrNull

/** One input of a market's post form, in display order, as the core describes it (`MarketView.form`). */
typealias FormField = FormFieldView

/** How a form field is entered (the core's `InputKind`). */
typealias InputKind = app.freeport.core.InputKind

/** One choice of a select field. */
typealias FormOption = app.freeport.core.FormOption

/** What the user typed into one field; the core converts and judges it ([toEntry]). */
sealed interface FieldValue {
    /** Text as typed: text, a number, a select's value, a currency code, image addresses one per line. */
    data class Text(val text: String) : FieldValue

    /** A place: a display name and a geohash (typed, or from the phone's location). */
    data class Place(val name: String, val geohash: String) : FieldValue

    /** The core's entry for the field at [path]. */
    fun toEntry(path: String): FormEntry = FormEntry(
        path,
        when (this) {
            is Text -> EntryValue.Text(text)
            is Place -> EntryValue.Place(name, geohash)
        },
    )
}

/** Layout helpers for the core's forms and terms: where things go and how they read, no rules. */
object MarketForms {
    private val json = Json { ignoreUnknownKeys = true }

    /**
     * The form field a violation goes under: the field itself, or the form field containing it
     * (`/from/geohash` goes under `/from`); otherwise the violation's own name (`title`,
     * `geohash`), or `""` for one under no input of this screen.
     */
    fun placeOf(v: FieldViolation, formPaths: Collection<String>, inputs: Collection<String> = emptyList()): String =
        formPaths.filter { v.field == it || v.field.startsWith("$it/") }.maxByOrNull { it.length }
            ?: v.field.takeIf { it in inputs }
            ?: ""

    /** Violations grouped by where they go on screen ([placeOf]). */
    fun place(violations: List<FieldViolation>, formPaths: Collection<String>, inputs: Collection<String> = emptyList()) =
        violations.groupBy { placeOf(it, formPaths, inputs) }

    /** The entry for editing top-level term [key] in a counter-offer (its JSON pointer is `/key`). */
    fun termEntry(key: String, text: String): FormEntry =
        FormEntry("/" + key.replace("~", "~0").replace("/", "~1"), EntryValue.Text(text))

    /**
     * Key/value lines of a terms or payload JSON object, for display. [number] writes a JSON
     * number for the reader (the UI passes its locale's formatter: "1.200", "١٬٢٠٠"); text stays
     * as its author typed it.
     */
    fun lines(jsonText: String, number: (Double) -> String = ::plainNumber): List<Pair<String, String>> {
        val el = runCatching { json.parseToJsonElement(jsonText) }.getOrNull() as? JsonObject ?: return emptyList()
        return el.map { (k, v) -> k to display(v, number) }
    }

    /** A JSON value as one line of text (places by name, lists comma-separated, numbers by [number]). */
    fun display(v: JsonElement, number: (Double) -> String = ::plainNumber): String = when (v) {
        is JsonPrimitive -> if (!v.isString && v.doubleOrNull != null) number(v.double) else v.contentOrNull ?: ""
        is JsonArray -> v.joinToString(", ") { display(it, number) }
        is JsonObject -> (v["name"] as? JsonPrimitive)?.contentOrNull
            ?: v.entries.joinToString(", ") { (k, x) -> "$k: ${display(x, number)}" }
    }

    /** A number as JSON writes it, without a trailing ".0" for whole numbers. */
    fun plainNumber(x: Double): String =
        if (x == Math.rint(x) && kotlin.math.abs(x) < 1e15) x.toLong().toString() else x.toString()
}
