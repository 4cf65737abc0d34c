// JSON Schema as pydantic writes it (service inputs, the API's Create schemas in
// /openapi.json), reduced to what a form needs: one widget per property.
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
  pattern?: string;
  writeOnly?: boolean;
  additionalProperties?: boolean | JsonSchema;
  /** NetWeave hint: offer names from this collection (devices, credentials, pools, ...). */
  "x-lookup"?: string;
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

function widgetOf(schema: JsonSchema, defs: Definitions): [Widget, string[]] {
  if (schema.enum) return ["select", schema.enum.map(String)];
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
  }
  return ["json", []];
}

export function fieldsOf(root: JsonSchema, defs: Definitions = {}): FieldModel[] {
  const all = { ...(root.$defs ?? {}), ...defs };
  const resolved = resolve(root, all);
  const required = new Set(resolved.required ?? []);
  return Object.entries(resolved.properties ?? {}).map(([key, raw]) => {
    const [schema, nullable] = unwrapNullable(resolve(raw, all), all);
    const [widget, options] = widgetOf(schema, all);
    return {
      key,
      label: schema.title ?? raw.title ?? key,
      help: schema.description ?? raw.description ?? "",
      widget,
      required: required.has(key),
      nullable,
      options,
      lookup: raw["x-lookup"] ?? schema["x-lookup"] ?? null,
      schema,
    };
  });
}

/** The value a widget shows for a model value (and back, in ``parse``). */
export function display(field: FieldModel, value: unknown): string | boolean | string[] {
  if (field.widget === "checkbox") return Boolean(value);
  if (field.widget === "multiselect") return Array.isArray(value) ? value.map(String) : [];
  if (value === undefined || value === null) return field.widget === "json" ? "" : "";
  if (field.widget === "lines") return Array.isArray(value) ? value.join("\n") : String(value);
  if (field.widget === "json") return JSON.stringify(value, null, 2);
  return String(value);
}

export class ParseError extends Error {}

/** A widget's text → the JSON value sent to the API (undefined: leave it out). */
export function parse(field: FieldModel, text: string | boolean | string[]): unknown {
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
      return number;
    }
    case "lines": {
      // Names and tags can't hold a comma: there a comma separates too; commands can.
      const separator = field.schema.items?.pattern ? /[\n,]/ : /\n/;
      return raw
        .split(separator)
        .map((line) => line.trim())
        .filter(Boolean);
    }
    case "json":
      try {
        return JSON.parse(raw);
      } catch {
        throw new ParseError("not valid JSON");
      }
    default:
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
