import { describe, expect, it } from "vitest";
import { keyObjectName } from "../src/plan/identity.ts";
import { erplyBulkProofs } from "./support/erply-bulk-proofs.ts";
import { bulkRequest, type ErplyCall, newAccount } from "./support/erply-client.ts";
import { erplyGateway } from "./support/gateway.ts";
import { captureLogs } from "./support/logs.ts";
import { newTag, originLogAt } from "./support/origin-log.ts";

const erply = erplyGateway();

// Inside workerd, with examples/erply/wrangler.toml's config as shipped, in front of the Erply-like origin.
erplyBulkProofs(() => erply);

describe("the decision log of a bulk request", () => {
  it("has a line per guarded call, marked with the bulk route and naming the call's record, and one for the request, all calls in one origin request", async () => {
    const logs = captureLogs();
    try {
      const tag = newTag();
      const request = bulkRequest(
        erply.base,
        { ...newAccount(), clientName: "TouchPOS" },
        [
          ...[1, 2, 3, 4].map((n) => ({ requestName: "saveSalesDocument", requestID: n, temporaryUUID: newTag() })),
          { requestName: "getProducts", requestID: 5 },
          { requestName: "savePayment", requestID: 6, type: "CASH", sum: "2.00", added: "1764583204" },
        ],
        { tag },
      );
      await (await erply.send(request)).arrayBuffer();
      const lines = logs.lines("idem.decision");
      expect(lines.map((line) => [line.route, line.outcome, line.rule, line.batch])).toEqual([
        ...[1, 2, 3, 4].map(() => ["save-sales-document", "forwarded", undefined, "bulk"]),
        ["save-payment", "forwarded", "savePayment", "bulk"],
        ["bulk", "batched", undefined, undefined],
      ]);
      // The sales' records sit on different shards (KeyObjects), and still went to the API in one request.
      const shards = new Set(lines.slice(0, 4).map((line) => keyObjectName(line.record as string, { strategy: "sharded", shards: 256 })));
      expect(shards.size).toBeGreaterThan(1);
      expect(new Set((await originLogAt<ErplyCall>(erply.originUrl, tag)).map((call) => call.httpRequest)).size).toBe(1);
    } finally {
      logs.restore();
    }
  });
});
