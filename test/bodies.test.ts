import { env } from "cloudflare:workers";
import type { ConfigInput } from "../src/config/schema.ts";
import { BODY_ROUTES, bodyProofs, erplyBodyProofs } from "./support/body-proofs.ts";
import { erplyGateway, gatewayFor } from "./support/gateway.ts";

const send = gatewayFor({ routes: BODY_ROUTES as unknown as ConfigInput["routes"] });

// Inside workerd, in front of the orders demo origin, and of the Erply-like origin with the shipped Erply config.
bodyProofs(() => ({ send, base: "https://idem.test", originUrl: env.ORIGIN_URL }));
erplyBodyProofs(() => erplyGateway());
