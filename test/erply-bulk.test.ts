import { describe, expect, it } from "vitest";
import { erplyBulkProofs } from "./support/erply-bulk-proofs.ts";
import { bulkRequest, newAccount } from "./support/erply-client.ts";
import { erplyGateway } from "./support/gateway.ts";
import { captureLogs } from "./support/logs.ts";
import { newTag } from "./support/origin-log.ts";

const erply = erplyGateway();

// Inside workerd, with examples/erply/wrangler.toml's config as shipped, in front of the Erply-like origin.
erplyBulkProofs(() => erply);

describe("the decision log of a bulk request", () => {
  it("has a line per guarded call, marked with the bulk route and naming the call's record, and one for the request", async () => {
    const logs = captureLogs();
    try {
      const tag = newTag();
      const request = bulkRequest(
        erply.base,
        newAccount(),
        [
          { requestName: "saveSalesDocument", requestID: 1, temporaryUUID: newTag() },
          { requestName: "getProducts", requestID: 2 },
        ],
        { tag },
      );
      await (await erply.send(request)).arrayBuffer();
      const lines = logs.lines("idem.decision");
      expect(lines.map((line) => [line.route, line.outcome, line.batch])).toEqual([
        ["save-sales-document", "forwarded", "bulk"],
        ["bulk", "batched", undefined],
      ]);
      expect(lines[0]?.record).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      logs.restore();
    }
  });
});
