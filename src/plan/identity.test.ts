import { describe, expect, it } from "vitest";
import { parseFieldRef } from "../request/field-ref.ts";
import { carriesNoCredential, scopeHash } from "./identity.ts";

describe("scopeHash", () => {
  it("keeps crafted scope values apart: no shift of text between fields, no separator inside a value, collides", async () => {
    const spellings: (string | undefined)[][] = [
      ["Bearer a", "b"],
      ["Bearer a|b"],
      ["Bearer ab", ""],
      ["Bearer a|1:b", undefined],
      ["Bearer a", "b", ""],
      ["1:Bearer a|1:b"],
    ];
    const hashes = await Promise.all(spellings.map((values) => scopeHash(values)));
    expect(new Set(hashes).size).toBe(spellings.length);
  });
});

describe("carriesNoCredential", () => {
  const authorization = parseFieldRef("header:Authorization");
  const apiKey = parseFieldRef("header:X-Api-Key");

  it.each([undefined, "", "  ", "Bearer", "Bearer ", "Bearer null", "bearer UNDEFINED", "Basic undefined", "null", "undefined"])(
    "counts Authorization %j as no credential",
    (value) => {
      expect(carriesNoCredential(authorization, value)).toBe(true);
    },
  );

  it.each(["Bearer sk_live_1", "sk_live_1", "Token null-and-void", "Bearer null null"])("counts Authorization %j as a credential", (value) => {
    expect(carriesNoCredential(authorization, value)).toBe(false);
  });

  it("reads a scheme only in Authorization headers: an API key named Bearer is a credential", () => {
    expect(carriesNoCredential(apiKey, "Bearer")).toBe(false);
    expect(carriesNoCredential(apiKey, "null")).toBe(true);
  });
});
