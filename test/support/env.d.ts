declare namespace Cloudflare {
  interface Env {
    /** The demo origin started by test/support/global-setup.ts. */
    ORIGIN_URL: string;
    /** A 127.0.0.1 port where nothing listens. */
    DEAD_ORIGIN_URL: string;
    /** The Erply-like origin (examples/erply/origin.ts) started by test/support/global-setup.ts. */
    ERPLY_ORIGIN_URL: string;
    /** `[vars.IDEM_CONFIG]` of examples/erply/wrangler.toml, as shipped. */
    ERPLY_IDEM_CONFIG: Record<string, unknown>;
    /** The text of examples/commerce/idem.config.toml, as shipped. */
    COMMERCE_CONFIG_FILE: string;
    /** A secret the origins tests name in credential headers. */
    ORIGIN_AUTH_SECRET: string;
    /** A real second Worker (test/fixtures/bound-worker.ts), bound as a service. */
    BOUND_ORIGIN: Fetcher;
    /** The Stripe-like origin (examples/stripe/origin.ts) started by test/support/global-setup.ts. */
    STRIPE_ORIGIN_URL: string;
    /** The shipped configs by name (`demo` is wrangler.toml's own, the others examples/<name>/wrangler.toml). */
    EXAMPLE_IDEM_CONFIGS: Record<string, Record<string, unknown>>;
  }
}
