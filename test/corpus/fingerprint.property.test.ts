/**
 * Issue 5, canonicalisation: equivalent requests give one fingerprint, and
 * different requests give different fingerprints, for any input fast-check
 * can think of. Equivalence here means what a JSON or form parser sees: key
 * order and whitespace do not count; values, array order and the order of a
 * repeated form field do.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requestFingerprint } from "../../src/plan/fingerprint.ts";
import { canonicalJson, MAX_JSON_DEPTH, TooDeepError } from "../../src/request/canonical.ts";
import { RequestFields } from "../../src/request/request-fields.ts";

const encoder = new TextEncoder();

function fingerprintOf(body: string, contentType: string, url = "https://idem.test/orders"): Promise<string> {
  const fields = new RequestFields(new URL(url), new Headers({ "content-type": contentType }), encoder.encode(body));
  return requestFingerprint("POST", fields, []);
}

const jsonFingerprint = (text: string) => fingerprintOf(text, "application/json");
const formFingerprint = (pairs: readonly (readonly [string, string])[]) =>
  fingerprintOf(new URLSearchParams(pairs.map(([k, v]) => [k, v])).toString(), "application/x-www-form-urlencoded");

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A seeded permutation, so fast-check can shrink and replay a failing case. */
function permute<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The same JSON value with every object's keys in another order (Object.fromEntries keeps "__proto__" an own key). */
function reorderKeys(value: Json, seed: number): Json {
  if (Array.isArray(value)) return value.map((item, i) => reorderKeys(item, seed + i + 1));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(permute(Object.entries(value), seed).map(([k, v], i) => [k, reorderKeys(v, seed * 31 + i)]));
  }
  return value;
}

const WHITESPACE = [" ", "\t", "\n", "\r\n", "  "];

/** JSON text with arbitrary insignificant whitespace between tokens. */
function looseJson(value: Json, seed: number): string {
  let state = seed >>> 0;
  const ws = () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state % 3 === 0 ? "" : (WHITESPACE[state % WHITESPACE.length] as string);
  };
  const write = (node: Json): string => {
    if (Array.isArray(node)) return `[${ws()}${node.map((n) => `${ws()}${write(n)}${ws()}`).join(",")}${ws()}]`;
    if (node !== null && typeof node === "object") {
      const members = Object.entries(node).map(([k, v]) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${write(v)}${ws()}`);
      return `{${members.join(",")}${ws()}}`;
    }
    return JSON.stringify(node);
  };
  return `${ws()}${write(value)}${ws()}`;
}

/** Whether two parsed JSON values mean the same, independently of the code under test. */
function sameJson(a: Json, b: Json): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i] as Json));
  }
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k] as Json, b[k] as Json));
  }
  return a === b; // 0 === -0: JSON writes both as 0.
}

const json = fc.jsonValue({ maxDepth: 6 }) as fc.Arbitrary<Json>;
const unicodeJson = fc.jsonValue({ maxDepth: 4, stringUnit: "binary" }) as fc.Arbitrary<Json>;

describe("canonical JSON", () => {
  it("is the same text for any key order", () => {
    fc.assert(fc.property(json, fc.integer(), (value, seed) => canonicalJson(reorderKeys(value, seed)) === canonicalJson(value)));
  });

  it("means the same value, so two values that differ never share a text", () => {
    fc.assert(
      fc.property(unicodeJson, (value) => {
        expect(sameJson(JSON.parse(canonicalJson(value)) as Json, value)).toBe(true);
      }),
    );
  });
});

describe("JSON body fingerprint", () => {
  it("is one fingerprint for any key order and any whitespace", async () => {
    await fc.assert(
      fc.asyncProperty(json, fc.integer(), fc.integer(), async (value, orderSeed, spaceSeed) => {
        const plain = await jsonFingerprint(JSON.stringify(value));
        const shuffled = await jsonFingerprint(looseJson(reorderKeys(value, orderSeed), spaceSeed));
        expect(shuffled).toBe(plain);
      }),
    );
  });

  it("differs whenever the values differ", async () => {
    await fc.assert(
      fc.asyncProperty(unicodeJson, unicodeJson, async (a, b) => {
        fc.pre(!sameJson(a, b));
        expect(await jsonFingerprint(JSON.stringify(a))).not.toBe(await jsonFingerprint(JSON.stringify(b)));
      }),
    );
  });

  it("differs for integers that a double cannot tell apart", async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }), fc.bigInt({ min: 1n, max: 1000n }), async (n, step) => {
        const text = (x: bigint) => `{"amount":${x}}`;
        expect(await jsonFingerprint(text(n))).not.toBe(await jsonFingerprint(text(n + step)));
      }),
    );
  });

  it("compares numbers as sent: two different literals are two requests, even for one value (1, 1.0, 1e0)", async () => {
    const literal = fc.oneof(
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)),
      fc.integer().map((x) => `${x}.0`),
      fc.integer().map((x) => `${x}e0`),
    );
    await fc.assert(
      fc.asyncProperty(literal, literal, async (a, b) => {
        fc.pre(a !== b);
        expect(await jsonFingerprint(`[${a}]`)).not.toBe(await jsonFingerprint(`[${b}]`));
      }),
    );
  });

  it("keeps numbers out of a double's range apart from each other and from null", async () => {
    const prints = await Promise.all(["1e400", "2e400", "-1e400", "null", "1e-400", "0"].map((n) => jsonFingerprint(`[${n}]`)));
    expect(new Set(prints).size).toBe(prints.length);
  });

  it("never throws within the depth limit, and refuses deeper nesting with TooDeepError only", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: MAX_JSON_DEPTH * 2 }), fc.boolean(), async (depth, objects) => {
        const open = objects ? '{"a":' : "[";
        const close = objects ? "}" : "]";
        const text = `${open.repeat(depth)}1${close.repeat(depth)}`;
        const result = jsonFingerprint(text);
        // Depth counts from 0 at the outermost container; the scalar inside sits at `depth`.
        if (depth <= MAX_JSON_DEPTH) await expect(result).resolves.toMatch(/^[0-9a-f]{64}$/);
        else await expect(result).rejects.toBeInstanceOf(TooDeepError);
      }),
    );
  });

  it("never throws for arbitrary bytes sent as JSON", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const fields = new RequestFields(new URL("https://idem.test/o"), new Headers({ "content-type": "application/json" }), bytes);
        await expect(requestFingerprint("POST", fields, [])).resolves.toMatch(/^[0-9a-f]{64}$/);
      }),
    );
  });
});

const fieldName = fc.string({ minLength: 1, maxLength: 12, unit: "binary" });
const fieldValue = fc.string({ maxLength: 20, unit: "binary" });
const distinctFields = fc.uniqueArray(fc.tuple(fieldName, fieldValue), { minLength: 1, maxLength: 10, selector: ([name]) => name });

describe("form body and query fingerprint", () => {
  it("is one fingerprint for distinct fields in any order", async () => {
    await fc.assert(
      fc.asyncProperty(distinctFields, fc.integer(), async (pairs, seed) => {
        expect(await formFingerprint(permute(pairs, seed))).toBe(await formFingerprint(pairs));
      }),
    );
  });

  it("differs when one field's value changes", async () => {
    await fc.assert(
      fc.asyncProperty(distinctFields, fc.nat(), fieldValue, async (pairs, index, replacement) => {
        const at = index % pairs.length;
        const [name, value] = pairs[at] as [string, string];
        fc.pre(replacement !== value);
        const changed = pairs.map((pair, i): [string, string] => (i === at ? [name, replacement] : pair));
        expect(await formFingerprint(changed)).not.toBe(await formFingerprint(pairs));
      }),
    );
  });

  it("counts the order of a repeated field (tag=a&tag=b is not tag=b&tag=a)", async () => {
    await fc.assert(
      fc.asyncProperty(fieldName, fieldValue, fieldValue, async (name, a, b) => {
        fc.pre(a !== b);
        expect(
          await formFingerprint([
            [name, a],
            [name, b],
          ]),
        ).not.toBe(
          await formFingerprint([
            [name, b],
            [name, a],
          ]),
        );
      }),
    );
  });

  it("is one fingerprint for a query with its distinct parameters in any order", async () => {
    await fc.assert(
      fc.asyncProperty(distinctFields, fc.integer(), async (pairs, seed) => {
        const url = (p: [string, string][]) => `https://idem.test/orders?${new URLSearchParams(p).toString()}`;
        const body = '{"same":true}';
        expect(await fingerprintOf(body, "application/json", url(permute(pairs, seed)))).toBe(
          await fingerprintOf(body, "application/json", url(pairs)),
        );
      }),
    );
  });
});

describe("parsed and raw bodies", () => {
  // Issue 22 item 6: a body Idem cannot parse is hashed as bytes; those bytes must never spell a parsed body's hash input.
  const multipartFingerprint = async (body: string | FormData) => {
    const request = new Request("https://idem.test/orders", {
      method: "POST",
      body,
      headers: typeof body === "string" ? { "content-type": "multipart/form-data; boundary=x" } : {},
    });
    const fields = await RequestFields.read(new URL(request.url), request.headers, new Uint8Array(await request.arrayBuffer()));
    return requestFingerprint("POST", fields, []);
  };

  it("never share a fingerprint: broken JSON whose bytes are a parsed JSON body's canonical text with its tag", async () => {
    await fc.assert(
      fc.asyncProperty(json, async (value) => {
        const parsed = await jsonFingerprint(JSON.stringify(value));
        expect(await jsonFingerprint(`json:${canonicalJson(value)}`)).not.toBe(parsed);
      }),
    );
  });

  it("never share a fingerprint: a broken multipart body whose bytes are a parsed form's canonical text with its tag", async () => {
    await fc.assert(
      fc.asyncProperty(distinctFields, async (pairs) => {
        const form = new FormData();
        for (const [name, value] of pairs) form.append(name, value);
        const parsed = await multipartFingerprint(form);
        const sorted = [...pairs].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
        expect(await multipartFingerprint(`form:${JSON.stringify(sorted)}:[]`)).not.toBe(parsed);
      }),
      { numRuns: 30 },
    );
  });
});

describe("Content-Type in the fingerprint", () => {
  const multipartPrint = async (fields: [string, string][], spell: (contentType: string) => string) => {
    const form = new FormData();
    for (const [name, value] of fields) form.append(name, value);
    const request = new Request("https://idem.test/api/", { method: "POST", body: form });
    const headers = new Headers({ "content-type": spell(request.headers.get("content-type") ?? "") });
    const read = await RequestFields.read(new URL(request.url), headers, new Uint8Array(await request.arrayBuffer()), ["php"]);
    const php = read.forRoute({}, "php");
    return { readable: php.parsedBody().kind === "form", print: await requestFingerprint("POST", php, []) };
  };

  it("leaves out a multipart boundary, also where only PHP's reading finds multipart ('multipart/form-data, text/plain; boundary=…')", async () => {
    await fc.assert(
      fc.asyncProperty(distinctFields, async (pairs) => {
        const spell = (contentType: string) => contentType.replace("multipart/form-data;", "multipart/form-data, text/plain;");
        const [first, retry] = [await multipartPrint(pairs, spell), await multipartPrint(pairs, spell)];
        // The runtime's parser refuses some part names (a NUL): such a body counts as its bytes, boundary and all.
        fc.pre(first.readable);
        expect(retry.print).toBe(first.print);
      }),
      { numRuns: 20 },
    );
  });

  it("counts every other parameter: a charset is another request", async () => {
    const print = (contentType: string) => fingerprintOf('{"a":1}', contentType);
    expect(await print("application/json; charset=utf-8")).not.toBe(await print("application/json"));
    expect(await print("application/json; Charset=utf-8")).toBe(await print("application/json;charset=utf-8"));
  });
});
