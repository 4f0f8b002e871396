/**
 * The local runtime's own limit: a Worker that does nothing but forward each
 * request to the origin, on the same Miniflare/workerd as Idem. Idem's
 * figures are read against it: what it adds over this is Idem's work, the
 * rest is the local runtime.
 *
 * Run as a child process: `node bench/bare-worker.ts <originUrl>`; it prints
 * `{"url": …}` once listening and stops on SIGTERM.
 */
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

const FORWARD_ONLY = `
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname + url.search, request);
  },
};
`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const [originUrl] = process.argv.slice(2);
  if (!originUrl) throw new Error("usage: node bench/bare-worker.ts <originUrl>");
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      name: "bare",
      modules: true,
      script: FORWARD_ONLY,
      compatibilityDate: "2026-11-01",
      bindings: { ORIGIN: originUrl },
      host: "127.0.0.1",
      port: 0,
    }),
  );
  const url = await miniflare.ready;
  console.log(JSON.stringify({ url: url.href.replace(/\/$/, "") }));
  process.once("SIGTERM", () => {
    miniflare.dispose().finally(() => process.exit(0));
  });
}
