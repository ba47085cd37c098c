package app.freeport.presentation

import app.freeport.core.EntryValue
import app.freeport.core.FieldViolation
import app.freeport.core.FormEntry
import app.freeport.core.FormFieldView
import app.freeport.core.TermView

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

/**
 * Layout helpers for the core's forms and terms: where things go, no rules. Terms arrive typed
 * from the core (`IntentView.terms`, `DealView.terms`: labels, money, options, places), so
 * nothing here reads their JSON.
 */
object MarketForms {
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
     * The counter-offer entries for [edits] (term path → text as typed), leaving out an edit that
     * gives a term back the text it has on the table ([TermView.editText]).
     */
    fun counterEntries(terms: List<TermView>, edits: Map<String, String>): List<FormEntry> =
        edits.filter { (path, text) -> terms.firstOrNull { it.path == path }?.editText != text }
            .map { (path, text) -> FormEntry(path, EntryValue.Text(text)) }
}
