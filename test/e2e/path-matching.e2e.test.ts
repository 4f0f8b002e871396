import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { MIRRORED_PATHS, PATH_ROUTES, pathProofs } from "../support/path-proofs.ts";
import { useBundledStack } from "./support/stack.ts";

const exact = useBundledStack({ origin: startOrdersOrigin, routes: PATH_ROUTES });
const mirrored = useBundledStack({ origin: startOrdersOrigin, routes: PATH_ROUTES, settings: { pathMatching: MIRRORED_PATHS } });
const target = (stack: typeof exact) => ({
  send: (request: Request) => fetch(request),
  base: stack().worker.url.href,
  originUrl: stack().origin.url,
});

// Two bundled Workers on Miniflare over real HTTP; both in front of one origin each, so each test reads its own.
pathProofs(() => ({ exact: target(exact), mirrored: target(mirrored) }));
