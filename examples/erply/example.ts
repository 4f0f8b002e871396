import type { Example } from "../../scripts/example-declaration.ts";
import { startErplyOrigin } from "./origin.ts";

/** `npm run example -- erply`: README.md beside this file. */
export default {
  summary: "Idem in front of an Erply-style API: single-use temporaryUUIDs, duplicate sales and payments, bulk requests",
  wranglerConfig: "wrangler.toml",
  origins: { origin: { port: 8788, start: (port) => startErplyOrigin({ port }) } },
  // A sale without temporaryUUID, resent: Erply's duplicate prevention gives the copy the first answer.
  sample: {
    method: "POST",
    path: "/api/",
    headers: {},
    form: "request=saveSalesDocument&clientCode=123&sessionKey=s1&clientName=TouchPOS&invoiceNo=77&date=2026-11-23&time=14:05:09&type=CASHINVOICE&productID1=7&amount1=2",
  },
} satisfies Example;
