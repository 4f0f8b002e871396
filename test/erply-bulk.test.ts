import { erplyBulkProofs } from "./support/erply-bulk-proofs.ts";
import { erplyGateway } from "./support/gateway.ts";

const erply = erplyGateway();

// Inside workerd, with examples/erply/wrangler.toml's config as shipped, in front of the Erply-like origin.
erplyBulkProofs(() => erply);
