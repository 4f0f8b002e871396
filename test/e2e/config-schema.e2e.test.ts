import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configJsonSchemaText, SCHEMA_FILE } from "../../scripts/config-schema.ts";

describe("idem.config.schema.json", () => {
  it("is up to date with the config schema (regenerate it with: npm run config-schema)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(configJsonSchemaText());
  });

  it("lets an editor complete routes and their policies, and reject unknown fields", () => {
    const schema = JSON.parse(configJsonSchemaText()) as {
      required: string[];
      additionalProperties: boolean;
      properties: { routes: { items: { properties: Record<string, unknown>; additionalProperties: boolean } } };
    };
    expect(schema.required).toEqual(["origin", "routes"]);
    expect(schema.additionalProperties).toBe(false);
    const route = schema.properties.routes.items;
    expect(Object.keys(route.properties)).toEqual(expect.arrayContaining(["name", "path", "key", "mode", "ttlSeconds", "dedup", "document"]));
    expect(route.additionalProperties).toBe(false);
  });
});
