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
    /** The Stripe-like origin (examples/stripe/origin.ts) started by test/support/global-setup.ts. */
    STRIPE_ORIGIN_URL: string;
    /** The shipped configs by name (`demo` is wrangler.toml's own, the others examples/<name>/wrangler.toml). */
    EXAMPLE_IDEM_CONFIGS: Record<string, Record<string, unknown>>;
  }
}
