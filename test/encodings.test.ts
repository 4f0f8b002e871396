import { env } from "cloudflare:workers";
import type { ConfigInput } from "../src/config/schema.ts";
import { ENCODING_ROUTES, encodingProofs } from "./support/encoding-proofs.ts";
import { gatewayFor } from "./support/gateway.ts";

const send = gatewayFor({ routes: ENCODING_ROUTES as unknown as ConfigInput["routes"] });

// Inside workerd, in front of the orders demo origin.
encodingProofs(() => ({ send, base: "https://idem.test", originUrl: env.ORIGIN_URL }));
