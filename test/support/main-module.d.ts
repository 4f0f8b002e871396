declare namespace Cloudflare {
  interface GlobalProps {
    /** Types `exports.default` from "cloudflare:workers": the Worker's own entry point. */
    mainModule: typeof import("../../worker.ts");
  }
}
