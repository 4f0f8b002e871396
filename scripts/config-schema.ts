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
import { DEFAULTS } from "../src/config/defaults.ts";
import { configSchema } from "../src/config/schema.ts";

/** The committed schema file, at the repository's root. */
export const SCHEMA_FILE = new URL("../idem.config.schema.json", import.meta.url);

/** A route's field, where routes and the `defaults` section both hold it. */
const route = (path: string) => [`routes[].${path}`, `defaults.${path}`];

/**
 * Where each default shows in the JSON Schema, so that an editor offers it:
 * a path of field names, `[]` stepping into a list's items and `{}` into a
 * map's values. Every key of DEFAULTS but the lock's margin (added to the
 * origin timeout, no field of its own) must have a place here.
 */
const DEFAULT_FIELDS: Record<Exclude<keyof typeof DEFAULTS, "lockMarginMs">, string[]> = {
  originTimeoutMs: ["originTimeoutMs"],
  maxRequestBodyBytes: ["maxRequestBodyBytes"],
  methods: route("methods"),
  keySource: route("key.source"),
  keyRequired: route("key.required"),
  keyMaxLength: route("key.maxLength"),
  mode: route("mode"),
  scope: route("scope"),
  anonymous: route("anonymous"),
  batchMaxCalls: ["routes[].batch.maxCalls"],
  ttlSeconds: route("ttlSeconds"),
  concurrency: route("concurrency"),
  waitTimeoutMs: route("waitTimeoutMs"),
  fingerprintHeaders: route("fingerprintHeaders"),
  parsing: route("parsing"),
  neverStoreStatuses: route("neverStoreStatuses"),
  dedupWindowSeconds: ["routes[].dedup[].windowSeconds"],
  dedupNeverStoreStatuses: ["routes[].dedup[].neverStoreStatuses"],
  maxStoredResponseBytes: route("maxStoredResponseBytes"),
  editTimeoutMs: ["routes[].document.editTimeoutMs"],
  onUnknownOutcome: route("onUnknownOutcome"),
  errorFormat: route("errors.format"),
  errorCallField: route("errors.callField"),
  forwardKeyValue: route("forwardKey.value"),
  documentDelete: ["routes[].document.delete"],
  compareIfPresent: ["routes[].dedup[].compare[].ifPresent"],
  credentialsPassThrough: ["origin.headers{}.passThrough", "origins{}.headers{}.passThrough"],
  decisionLogPassThroughRate: ["decisionLog.passThroughRate"],
  keyspaceStrategy: ["keyspace.strategy"],
  shards: ["keyspace.shards"],
  adminPathPrefix: ["admin.pathPrefix"],
};

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  default?: unknown;
}

/** The node of a field (see DEFAULT_FIELDS), looking into each branch of an `anyOf`; throws when the schema has no such field. */
function fieldAt(root: SchemaNode, path: string): SchemaNode {
  return path.split(".").reduce((node, step) => {
    const name = step.replace(/(\[\]|\{\})+$/, "");
    let found = [node, ...(node.anyOf ?? [])].map((branch) => branch.properties?.[name]).find((field) => field !== undefined);
    for (const into of step.slice(name.length).match(/\[\]|\{\}/g) ?? []) {
      const next: SchemaNode | boolean | undefined = into === "[]" ? found?.items : found?.additionalProperties;
      found = typeof next === "object" ? next : undefined;
    }
    if (found === undefined) throw new Error(`the config's JSON Schema has no field ${path}`);
    return found;
  }, root);
}

/**
 * The config's JSON Schema as the committed file holds it, each field's
 * default (DEFAULTS) with it. Checks that the
 * schema cannot express (a custom check such as "a valid regular expression",
 * or a transformation such as upper-casing methods) are left out: check-config
 * and the Worker still apply them.
 *
 * @example
 * JSON.parse(configJsonSchemaText()).properties.routes.type // "array"
 */
export function configJsonSchemaText(): string {
  const schema = toJsonSchema(configSchema, { errorMode: "ignore", target: "draft-07" });
  for (const [key, paths] of Object.entries(DEFAULT_FIELDS)) {
    for (const path of paths) fieldAt(schema as SchemaNode, path).default = DEFAULTS[key as keyof typeof DEFAULT_FIELDS];
  }
  const { $schema: _, ...fields } = schema.properties ?? {};
  // `[env.<name>]` sections (applied by src/config/sources.ts, not by the valibot schema): any top-level
  // field but `env`, none required, each replacing the top level's field of that name.
  const properties = Object.fromEntries(Object.keys(fields).map((name) => [name, { $ref: `#/properties/${name}` }]));
  const section = { type: "object", properties, additionalProperties: false };
  const env = { type: "object", description: "Sections per environment; IDEM_ENV names the one that applies.", additionalProperties: section };
  const titled = {
    ...schema,
    title: "Idem config",
    description: "An Idem gateway's config: idem.config.toml / idem.config.json, or IDEM_CONFIG (see docs/configuration.md).",
    properties: { ...schema.properties, env },
  };
  return `${JSON.stringify(titled, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(SCHEMA_FILE, configJsonSchemaText());
  console.log(`wrote ${SCHEMA_FILE.pathname}`);
}
