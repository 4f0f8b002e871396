/**
 * The request log both demo origins keep (`GET /__demo/requests?tag=…`:
 * demo/orders-origin.ts and examples/erply/origin.ts), read over HTTP from
 * workerd or Node.
 */
import type { ReceivedRequest } from "../../demo/received-request.ts";
import { eventually } from "./eventually.ts";

/**
 * A label unique to one test, sent as `Demo-Tag` so the origin's log can be filtered by it.
 *
 * @example
 * const tag = newTag();
 * await send(clientRequest("/orders", { tag, key: "k-1" }));
 */
export function newTag(): string {
  return crypto.randomUUID();
}

/**
 * The requests the demo origin at `originUrl` received with this tag, in
 * arrival order. `Entry` names the origin's own log entry (e.g. `ErplyCall`).
 *
 * @example
 * const calls = await originLogAt<ErplyCall>(env.ERPLY_ORIGIN_URL, tag);
 */
export async function originLogAt<Entry extends ReceivedRequest = ReceivedRequest>(originUrl: string, tag: string): Promise<Entry[]> {
  const response = await fetch(`${originUrl}/__demo/requests?tag=${tag}`);
  return (await response.json()) as Entry[];
}

/**
 * Waits until the demo origin at `originUrl` has received at least `count`
 * requests with this tag (it logs each on arrival), and returns them.
 *
 * @example
 * const [first] = await originReceivedAt(env.ERPLY_ORIGIN_URL, tag, 1);
 */
export function originReceivedAt<Entry extends ReceivedRequest = ReceivedRequest>(originUrl: string, tag: string, count: number): Promise<Entry[]> {
  return eventually(
    async () => {
      const log = await originLogAt<Entry>(originUrl, tag);
      return log.length >= count ? log : undefined;
    },
    { waitingFor: `${count} request(s) tagged ${tag} at ${originUrl}` },
  );
}
