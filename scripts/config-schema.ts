/**
 * Writes idem.config.schema.json, the JSON Schema of an Idem config, from the
 * valibot schema the Worker validates with:
 *
 *   npm run config-schema
 *
 * A test fails when the committed file is out of date.
 */
import { writeFileSync } from "node:fs";
import { toJsonSchema } from "@valibot/to-json-schema";
import { configSchema } from "../src/config/schema.ts";

/** The committed schema file, at the repository's root. */
export const SCHEMA_FILE = new URL("../idem.config.schema.json", import.meta.url);

/**
 * The config's JSON Schema as the committed file holds it. Checks that the
 * schema cannot express (a custom check such as "a valid regular expression",
 * or a transformation such as upper-casing methods) are left out: check-config
 * and the Worker still apply them.
 *
 * @example
 * JSON.parse(configJsonSchemaText()).properties.routes.type // "array"
 */
export function configJsonSchemaText(): string {
  const schema = toJsonSchema(configSchema, { errorMode: "ignore", target: "draft-07" });
  const { $schema: _, ...fields } = schema.properties ?? {};
  // `[env.<name>]` sections (applied by src/config/sources.ts, not by the valibot schema): any top-level
  // field but `env`, none required, each replacing the top level's field of that name.
  const properties = Object.fromEntries(Object.keys(fields).map((name) => [name, { $ref: `#/properties/${name}` }]));
  const section = { type: "object", properties, additionalProperties: false };
  const env = { type: "object", description: "Sections per environment; IDEM_ENV names the one that applies.", additionalProperties: section };
  const titled = {
    ...schema,
    title: "Idem config",
    description: 'An Idem gateway\'s config: idem.config.toml / idem.config.json, or IDEM_CONFIG (see README, "Configuration").',
    properties: { ...schema.properties, env },
  };
  return `${JSON.stringify(titled, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(SCHEMA_FILE, configJsonSchemaText());
  console.log(`wrote ${SCHEMA_FILE.pathname}`);
}
