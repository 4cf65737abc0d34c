// JSON Schema as pydantic writes it (service inputs, service options, the API's Create
// schemas in /openapi.json), reduced to what a form needs: one widget per property, nested
// objects and lists of objects as sub-forms (their own fields), never a raw JSON box where
// the schema says what the value holds.
import { api } from "../api";

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  writeOnly?: boolean;
  additionalProperties?: boolean | JsonSchema;
  /** NetWeave hint: offer names from this collection (devices, credentials, pools, ...). */
  "x-lookup"?: string;
  /** NetWeave hint: with ``x-lookup``, choose one of the names (a select, no free text). */
  "x-select"?: boolean;
  /** NetWeave hint: read the text as JSON when the sibling fields hold these values. */
  "x-json-when"?: Record<string, unknown>;
}

export type Widget =
  | "text"
  | "textarea"
  | "password"
  | "number"
  | "integer"
  | "checkbox"
  | "select"
  | "multiselect"
  | "lines"
  | "choice"
  | "object"
  | "objects"
  | "json";

export interface FieldModel {
  key: string;
  label: string;
  help: string;
  widget: Widget;
  required: boolean;
  nullable: boolean;
  options: string[];
  lookup: string | null;
  schema: JsonSchema;
  /** ``object``: its properties; ``objects``: the properties of each item. */
  fields: FieldModel[];
  /** ``objects``: what one item is called ("Check"). */
  itemLabel: string;
  /** Sibling values that make a text field JSON (``x-json-when``). */
  jsonWhen: Record<string, unknown> | null;
}

type Definitions = Record<string, JsonSchema>;

export function resolve(schema: JsonSchema, defs: Definitions): JsonSchema {
  let current = schema;
  for (let hops = 0; current.$ref && hops < 20; hops++) {
    const name = current.$ref.split("/").pop() ?? "";
    const target = defs[name];
    if (!target) break;
    const { $ref: _ignored, ...rest } = current;
    current = { ...target, ...rest };
  }
  if (current.allOf && current.allOf.length === 1) {
    const { allOf, ...rest } = current;
    current = { ...resolve(allOf[0], defs), ...rest };
  }
  return current;
}

/** ``X | None`` → X (nullable); other unions stay as they are (a JSON editor). */
function unwrapNullable(schema: JsonSchema, defs: Definitions): [JsonSchema, boolean] {
  const union = schema.anyOf ?? schema.oneOf;
  if (!union) return [schema, false];
  const kept = union.filter((s) => s.type !== "null");
  if (kept.length === 1 && kept.length < union.length) {
    const { anyOf: _a, oneOf: _o, ...rest } = schema;
    return [{ ...resolve(kept[0], defs), ...rest }, true];
  }
  return [schema, false];
}

function isObject(schema: JsonSchema): boolean {
  return schema.type === "object" && Boolean(schema.properties);
}

function widgetOf(schema: JsonSchema, defs: Definitions, raw: JsonSchema): [Widget, string[]] {
  if (schema.enum) return ["select", schema.enum.map(String)];
  const lookup = raw["x-lookup"] ?? schema["x-lookup"];
  if (lookup && (raw["x-select"] ?? schema["x-select"])) return ["choice", []];
  // A text that is JSON when its siblings say so (a check's match: text, or an object).
  if ((raw["x-json-when"] ?? schema["x-json-when"]) && (schema.anyOf ?? schema.oneOf)?.some((s) => s.type === "string"))
    return ["text", []];
  if (isObject(schema)) return ["object", []];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "string") {
    if (schema.format === "password" || schema.writeOnly) return ["password", []];
    if (schema.format === "textarea") return ["textarea", []];
    return ["text", []];
  }
  if (type === "integer") return ["integer", []];
  if (type === "number") return ["number", []];
  if (type === "boolean") return ["checkbox", []];
  if (type === "array" && schema.items) {
    const items = resolve(schema.items, defs);
    if (items.enum) return ["multiselect", items.enum.map(String)];
    if (items.type === "string") return ["lines", []];
    if (isObject(items)) return ["objects", []];
    if (anyValue(items)) return ["lines", []];
  }
  return ["json", []];
}

/** An array item schema that says nothing (``list[Any]``): values typed per line. */
function anyValue(items: JsonSchema): boolean {
  return !items.type && !items.enum && !items.anyOf && !items.oneOf && !items.$ref && !items.properties;
}

/** "read_timeout" → "Read timeout" (when the schema has no title). */
function labelOf(key: string): string {
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function fieldsOf(root: JsonSchema, defs: Definitions = {}, depth = 0): FieldModel[] {
  const all = { ...(root.$defs ?? {}), ...defs };
  const resolved = resolve(root, all);
  const required = new Set(resolved.required ?? []);
  return Object.entries(resolved.properties ?? {}).map(([key, raw]) => {
    const [schema, nullable] = unwrapNullable(resolve(raw, all), all);
    let [widget, options] = widgetOf(schema, all, raw);
    let fields: FieldModel[] = [];
    let itemLabel = "";
    if (depth > 4 && (widget === "object" || widget === "objects")) widget = "json";
    else if (widget === "object") fields = fieldsOf(schema, all, depth + 1);
    else if (widget === "objects" && schema.items) {
      const items = resolve(schema.items, all);
      fields = fieldsOf(items, all, depth + 1);
      itemLabel = items.title ?? "Item";
    }
    const jsonWhen = raw["x-json-when"] ?? schema["x-json-when"] ?? null;
    if (jsonWhen) options = [];
    return {
      key,
      // A referenced model's title is its class name ("DeviceFilter"): the key reads better.
      label: raw.title ?? (raw.$ref || raw.anyOf || raw.allOf ? undefined : schema.title) ?? labelOf(key),
      help: raw.description ?? schema.description ?? "",
      widget,
      required: required.has(key),
      nullable,
      options,
      lookup: raw["x-lookup"] ?? schema["x-lookup"] ?? null,
      schema,
      fields,
      itemLabel,
      jsonWhen,
    };
  });
}

/** Defaults the schema declares, as an object's starting value. */
export function defaultsOf(fields: FieldModel[]): Record<string, unknown> {
  const found: Record<string, unknown> = {};
  for (const field of fields) if (field.schema.default !== undefined) found[field.key] = field.schema.default;
  return found;
}

/** Whether ``siblings`` hold the values that make this text field JSON. */
export function readsJson(field: FieldModel, siblings: Record<string, unknown>): boolean {
  const when = field.jsonWhen;
  return when !== null && Object.entries(when).every(([key, value]) => siblings[key] === value);
}

/** The value a widget shows for a model value (and back, in ``parse``). */
export function display(field: FieldModel, value: unknown): string | boolean | string[] {
  if (field.widget === "checkbox") return Boolean(value);
  if (field.widget === "multiselect") return Array.isArray(value) ? value.map(String) : [];
  if (value === undefined || value === null) return "";
  if (field.widget === "lines")
    return Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join("\n") : String(value);
  if (field.widget === "json" || typeof value === "object") return JSON.stringify(value, null, field.widget === "json" ? 2 : 0);
  return String(value);
}

export class ParseError extends Error {}

/** A line of a list whose items may be anything: a number, true, JSON, or else the text. */
function typedLine(line: string): unknown {
  if (!/^[-\d[{"]|^(true|false|null)$/.test(line)) return line;
  try {
    return JSON.parse(line);
  } catch {
    return line;
  }
}

/** A widget's text → the JSON value sent to the API (undefined: leave it out).
 * ``siblings``: the values of the fields beside it (``x-json-when``). */
export function parse(
  field: FieldModel,
  text: string | boolean | string[],
  siblings: Record<string, unknown> = {},
): unknown {
  if (field.widget === "checkbox") return Boolean(text);
  if (field.widget === "multiselect") return text;
  const raw = String(text);
  if (raw.trim() === "") return field.nullable ? null : undefined;
  switch (field.widget) {
    case "integer":
    case "number": {
      const number = Number(raw);
      if (Number.isNaN(number)) throw new ParseError("not a number");
      if (field.widget === "integer" && !Number.isInteger(number))
        throw new ParseError("a whole number");
      const { minimum, maximum, exclusiveMinimum } = field.schema;
      if (minimum !== undefined && number < minimum) throw new ParseError(`at least ${minimum}`);
      if (exclusiveMinimum !== undefined && number <= exclusiveMinimum)
        throw new ParseError(`greater than ${exclusiveMinimum}`);
      if (maximum !== undefined && number > maximum) throw new ParseError(`at most ${maximum}`);
      return number;
    }
    case "lines": {
      // Names and tags can't hold a comma: there a comma separates too; commands can.
      const separator = field.schema.items?.pattern ? /[\n,]/ : /\n/;
      const lines = raw
        .split(separator)
        .map((line) => line.trim())
        .filter(Boolean);
      return field.schema.items && anyValue(field.schema.items) ? lines.map(typedLine) : lines;
    }
    case "json":
      try {
        return JSON.parse(raw);
      } catch {
        throw new ParseError("not valid JSON");
      }
    default:
      if (readsJson(field, siblings)) {
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch {
          throw new ParseError('not valid JSON (e.g. {"version": "15.2"})');
        }
        if (typeof value !== "object" || value === null || Array.isArray(value))
          throw new ParseError("a JSON object");
        return value;
      }
      return raw;
  }
}

let openapi: Promise<{ components: { schemas: Definitions } }> | null = null;

/** A request body schema of this API (DeviceCreate, ...) with its definitions. */
export async function apiSchema(name: string): Promise<[JsonSchema, Definitions]> {
  openapi ??= api("/openapi.json");
  const document = await openapi;
  const defs = document.components.schemas;
  const schema = defs[name];
  if (!schema) throw new Error(`no schema ${name}`);
  return [schema, defs];
}
