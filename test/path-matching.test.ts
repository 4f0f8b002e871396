import { env } from "cloudflare:workers";
import type { ConfigInput } from "../src/config/schema.ts";
import { gatewayFor } from "./support/gateway.ts";
import { MIRRORED_PATHS, PATH_ROUTES, pathProofs } from "./support/path-proofs.ts";

const routes = PATH_ROUTES as unknown as ConfigInput["routes"];
const pathMatching = MIRRORED_PATHS as ConfigInput["pathMatching"];
const target = (send: (request: Request) => Promise<Response>) => ({ send, base: "https://idem.test", originUrl: env.ORIGIN_URL });
const exact = target(gatewayFor({ routes }));
const mirrored = target(gatewayFor({ routes, pathMatching }));

// Inside workerd, in front of the orders demo origin.
pathProofs(() => ({ exact, mirrored }));
