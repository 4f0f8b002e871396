/**
 * The bare Node reverse proxy: the peer without its idempotency library and
 * Redis (the same node:http server and the same forwarding). The peer's cost
 * is read against it, as Idem's is read against the bare forwarding Worker.
 *
 * Run as a child process: `node bench/peer/bare-proxy.ts <originUrl>`; it
 * prints `{"url": …}` once listening.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { buffer } from "node:stream/consumers";
import { errorMessage } from "../../src/util/error-message.ts";
import { forwarderTo } from "./forward.ts";

if (import.meta.url === `file://${process.argv[1]}`) {
  const [originUrl] = process.argv.slice(2);
  if (!originUrl) throw new Error("usage: node bench/peer/bare-proxy.ts <originUrl>");
  const { forward, send } = forwarderTo(originUrl);
  const server = createServer((req, res) => {
    buffer(req)
      .then((body) => forward(req, body))
      .then(
        (answer) => send(res, answer, false),
        (error: unknown) => {
          res.writeHead(502, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "proxy-failure", message: errorMessage(error) }));
        },
      );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
}
