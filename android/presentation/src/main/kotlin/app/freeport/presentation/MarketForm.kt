package app.freeport.presentation

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.jsonObject

/** How a form field is entered (the market's `form_json` `input`). */
enum class InputKind { TEXT, MULTILINE, NUMBER, SELECT, LOCATION, IMAGES, CURRENCY }

/** One choice of a select field. */
data class FormOption(val value: String, val label: String)

/** One input of a market's post form, in display order. [path] is a JSON pointer into the payload. */
data class FormField(
    val path: String,
    val label: String,
    val input: InputKind,
    val required: Boolean,
    val placeholder: String?,
    val options: List<FormOption>,
)

/** What the user typed into one field. */
sealed interface FieldValue {
    /** Text, number, select value, currency code, or image URLs one per line. */
    data class Text(val text: String) : FieldValue

    /** A place: a display name and a geohash (typed, or from the phone's location). */
    data class Place(val name: String, val geohash: String) : FieldValue
}

/** Builds post forms from `MarketView.formJson` and payloads from what was typed. */
object MarketForms {
    private val json = Json { ignoreUnknownKeys = true }

    /** Parses the core's form hints. Unknown input kinds fall back to one line of text. */
    fun parse(formJson: String): List<FormField> {
        val root = json.parseToJsonElement(formJson)
        require(root is JsonArray) { "form_json: expected an array" }
        return root.map { el ->
            val o = el as? JsonObject ?: throw IllegalArgumentException("form_json: field is not an object")
            val path = o.string("path") ?: throw IllegalArgumentException("form_json: field without path")
            val input = o.string("input")?.uppercase()?.let { k -> InputKind.entries.firstOrNull { it.name == k } }
                ?: InputKind.TEXT
            FormField(
                path = path,
                label = o.string("label") ?: path.trimStart('/'),
                input = input,
                required = (o["required"] as? JsonPrimitive)?.booleanOrNull ?: false,
                placeholder = o.string("placeholder"),
                options = (o["options"] as? JsonArray).orEmpty().mapNotNull { opt ->
                    val oo = opt as? JsonObject ?: return@mapNotNull null
                    val v = oo.string("value") ?: return@mapNotNull null
                    FormOption(v, oo.string("label") ?: v)
                },
            )
        }
    }

    /** The payload JSON for [values], or the fields the UI itself refuses (e.g. not a number). */
    fun payload(fields: List<FormField>, values: Map<String, FieldValue>): Result {
        val root = LinkedHashMap<String, Any>()
        val errors = LinkedHashMap<String, UiError>()
        for (f in fields) {
            val element: JsonElement = when (val v = values[f.path]) {
                null -> continue
                is FieldValue.Text -> {
                    val t = v.text.trim()
                    if (t.isEmpty()) continue
                    when (f.input) {
                        InputKind.NUMBER -> {
                            val n = t.toLongOrNull()?.let(::JsonPrimitive)
                                ?: t.toDoubleOrNull()?.takeIf { it.isFinite() }?.let(::JsonPrimitive)
                            if (n == null) {
                                errors[f.path] = UiError(UiError.Kind.LOCAL, LocalError.NOT_A_NUMBER, f.path)
                                continue
                            }
                            n
                        }
                        InputKind.IMAGES -> JsonArray(
                            t.split('\n', ',').map(String::trim).filter(String::isNotEmpty).map(::JsonPrimitive),
                        )
                        InputKind.CURRENCY -> JsonPrimitive(t.uppercase())
                        else -> JsonPrimitive(t)
                    }
                }
                is FieldValue.Place -> {
                    val name = v.name.trim()
                    val gh = v.geohash.trim().lowercase()
                    if (name.isEmpty() && gh.isEmpty()) continue
                    // A half-filled place goes to the core as is: its schema says what is missing.
                    JsonObject(
                        buildMap {
                            if (name.isNotEmpty()) put("name", JsonPrimitive(name))
                            if (gh.isNotEmpty()) put("geohash", JsonPrimitive(gh))
                        },
                    )
                }
            }
            put(root, pointerTokens(f.path), element)
        }
        return if (errors.isEmpty()) Result.Ok(toJson(root).toString()) else Result.Refused(errors)
    }

    /** Outcome of [payload]. */
    sealed interface Result {
        /** The payload, as JSON text. */
        data class Ok(val payloadJson: String) : Result

        /** Errors per field path. */
        data class Refused(val errors: Map<String, UiError>) : Result
    }

    /**
     * Splits the core's payload-schema rule (`rideshare/1 schema: at `/from` breaks `required`:
     * "geohash" is a required property; at …`) into one message per form field. A violation that
     * belongs to no field is returned under the key `""`.
     */
    fun violationsByField(rule: String, fields: List<FormField>): Map<String, String> {
        val out = LinkedHashMap<String, String>()
        val body = rule.substringAfter("schema: ", rule)
        val re = Regex("""at `([^`]*)` breaks `([^`]*)`: (.*)""")
        for (part in body.split("; at ").mapIndexed { i, p -> if (i == 0) p else "at $p" }) {
            val m = re.matchEntire(part.trim())
            if (m == null) {
                out.merge("", part.trim()) { a, b -> "$a; $b" }
                continue
            }
            val (pointer, keyword, message) = m.destructured
            var target = pointer
            if (keyword == "required") {
                Regex("^\"([^\"]+)\" is a required property").find(message)?.let { r ->
                    target = (if (pointer == "/") "" else pointer) + "/" + escapeToken(r.groupValues[1])
                }
            }
            val field = fields
                .filter { target == it.path || target.startsWith(it.path + "/") }
                .maxByOrNull { it.path.length }
            val text = if (field != null && target != field.path) {
                "${target.removePrefix(field.path).trimStart('/')}: $message"
            } else {
                message
            }
            out.merge(field?.path ?: "", text) { a, b -> "$a; $b" }
        }
        return out
    }

    private fun JsonObject.string(key: String): String? = (this[key] as? JsonPrimitive)?.contentOrNull

    private fun escapeToken(t: String) = t.replace("~", "~0").replace("/", "~1")

    internal fun pointerTokens(pointer: String): List<String> {
        require(pointer.startsWith("/") && pointer.length > 1) { "form path `$pointer` is not a JSON pointer" }
        return pointer.substring(1).split('/').map { it.replace("~1", "/").replace("~0", "~") }
    }

    @Suppress("UNCHECKED_CAST")
    private fun put(root: MutableMap<String, Any>, tokens: List<String>, value: JsonElement) {
        var node = root
        for (t in tokens.dropLast(1)) {
            node = node.getOrPut(t) { LinkedHashMap<String, Any>() } as? MutableMap<String, Any>
                ?: throw IllegalArgumentException("form paths overlap at `$t`")
        }
        node[tokens.last()] = value
    }

    @Suppress("UNCHECKED_CAST")
    private fun toJson(node: Map<String, Any>): JsonObject = JsonObject(
        node.mapValues { (_, v) -> if (v is JsonElement) v else toJson(v as Map<String, Any>) },
    )

    /** Pretty key/value lines of a terms or payload JSON object, for the negotiation thread. */
    fun lines(jsonText: String): List<Pair<String, String>> {
        val el = runCatching { json.parseToJsonElement(jsonText) }.getOrNull() as? JsonObject ?: return emptyList()
        return el.map { (k, v) -> k to display(v) }
    }

    /** A JSON value as one line of text (places by name, lists comma-separated). */
    fun display(v: JsonElement): String = when (v) {
        is JsonPrimitive -> v.contentOrNull ?: ""
        is JsonArray -> v.joinToString(", ") { display(it) }
        is JsonObject -> (v["name"] as? JsonPrimitive)?.contentOrNull
            ?: v.entries.joinToString(", ") { (k, x) -> "$k: ${display(x)}" }
    }

    /** Replaces (or adds) top-level keys of a JSON object; used to edit terms for a counter. */
    fun withValues(jsonText: String, changes: Map<String, String>): String {
        val base = runCatching { json.parseToJsonElement(jsonText).jsonObject }.getOrDefault(JsonObject(emptyMap()))
        val merged = LinkedHashMap<String, JsonElement>(base)
        for ((k, v) in changes) {
            val old = base[k]
            merged[k] = when {
                old is JsonPrimitive && !old.isString && v.toLongOrNull() != null -> JsonPrimitive(v.toLong())
                old is JsonPrimitive && !old.isString && v.toDoubleOrNull() != null -> JsonPrimitive(v.toDouble())
                old is JsonObject && old.containsKey("name") ->
                    JsonObject(LinkedHashMap(old).apply { put("name", JsonPrimitive(v)) })
                else -> JsonPrimitive(v)
            }
        }
        return JsonObject(merged).toString()
    }
}
