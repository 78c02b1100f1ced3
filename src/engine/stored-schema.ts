/**
 * Helpers for a workflow's `storedSchema` (src/engine/definition.ts): the data an instance holds is
 * its creation schema plus what the engine and its events add, so it is derived from that schema
 * rather than copied.
 */
type JsonSchema = Record<string, unknown>;

/** `schema` (an object schema) with further properties; those in `required` are always present. */
export function withProperties(schema: JsonSchema, properties: Record<string, JsonSchema>, required: readonly string[] = []): JsonSchema {
  const base = schema as { properties?: Record<string, JsonSchema>; required?: string[] };
  return { ...schema, properties: { ...base.properties, ...properties }, required: [...(base.required ?? []), ...required] };
}

/** `schema` with properties it already has made always present. */
export function requiring(schema: JsonSchema, required: readonly string[]): JsonSchema {
  return withProperties(schema, {}, required);
}
