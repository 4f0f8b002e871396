import { describe, expect, it } from "vitest";
import { checkLayers, type Import, importsOf, layerProblems, parseLayers } from "../../scripts/check-layers.ts";

const TABLE = `## Layers

| folder | job | imports |
| --- | --- | --- |
| \`src/gateway/\` | executes | config (types), http |
| \`src/config/\` | schema | http |
| \`src/http/\`, \`src/env.ts\` | headers | each other only |
`;
const layers = parseLayers(TABLE);
const files = ["src/gateway/gateway.ts", "src/config/load.ts", "src/http/status.ts", "src/http/headers.ts", "src/env.ts"];
const edge = (from: string, to: string, typeOnly = false): Import => ({ from, to, typeOnly });

describe("the layer check (scripts/check-layers.ts)", () => {
  it("finds src/ true to docs/architecture.md's layer table", () => {
    expect(checkLayers().problems).toEqual([]);
  });

  it("reads a row's folders and the folders it may import, notes in parentheses left out", () => {
    expect(layers[0]).toEqual({ units: ["src/gateway/"], imports: ["src/config/", "src/http/"] });
    expect(layers[2]).toEqual({ units: ["src/http/", "src/env.ts"], imports: [] });
  });

  it("refuses an import reaching up, or past what a row names", () => {
    expect(
      layerProblems(layers, [edge("src/gateway/gateway.ts", "src/config/load.ts"), edge("src/config/load.ts", "src/http/status.ts")], files),
    ).toEqual([]);
    expect(layerProblems(layers, [edge("src/http/status.ts", "src/config/load.ts", true)], files)).toEqual([
      "src/http/status.ts imports src/config/load.ts: src/http/ may import only its own row",
    ]);
  });

  it("refuses a cycle, even type-only and inside one folder, but not through env.ts", () => {
    const cycle = [edge("src/http/status.ts", "src/http/headers.ts", true), edge("src/http/headers.ts", "src/http/status.ts", true)];
    expect(layerProblems(layers, cycle, files)).toEqual(["import cycle: src/http/headers.ts → src/http/status.ts → src/http/headers.ts"]);
    const bindings = [edge("src/env.ts", "src/http/status.ts", true), edge("src/http/status.ts", "src/env.ts", true)];
    expect(layerProblems(layers, bindings, files)).toEqual([]);
  });

  it("refuses a table row naming a folder above it, and a file in no row", () => {
    const upside = parseLayers(TABLE.replace("| schema | http |", "| schema | gateway |"));
    expect(layerProblems(upside, [], [...files, "src/plan/plan.ts"])).toEqual([
      "docs/architecture.md: the row of src/config/ imports src/gateway/, which is not below it",
      "src/plan/plan.ts: in no row of docs/architecture.md's layer table",
    ]);
  });

  it("tells type-only imports from value imports", () => {
    const source =
      'import type { A } from "./a.ts";\nimport { type B, type C } from "./b.ts";\nimport { d, type E } from "./d.ts";\nexport { f } from "../f.ts";\nimport "./g.ts";';
    expect(importsOf(source)).toEqual([
      { specifier: "./a.ts", typeOnly: true },
      { specifier: "./b.ts", typeOnly: true },
      { specifier: "./d.ts", typeOnly: false },
      { specifier: "../f.ts", typeOnly: false },
      { specifier: "./g.ts", typeOnly: false },
    ]);
  });
});
