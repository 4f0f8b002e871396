declare namespace Cloudflare {
  interface Env {
    /** The demo origin started by test/support/global-setup.ts. */
    ORIGIN_URL: string;
    /** A 127.0.0.1 port where nothing listens. */
    DEAD_ORIGIN_URL: string;
  }
}
