import { env } from "cloudflare:workers";
import type { ConfigInput } from "../src/config/schema.ts";
import { BODY_ROUTES, bodyProofs } from "./support/body-proofs.ts";
import { gatewayFor } from "./support/gateway.ts";

const send = gatewayFor({ routes: BODY_ROUTES as unknown as ConfigInput["routes"] });

// Inside workerd, in front of the orders demo origin.
bodyProofs(() => ({ send, base: "https://idem.test", originUrl: env.ORIGIN_URL }));
