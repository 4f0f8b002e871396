/** A minimal Chrome DevTools Protocol client for workerd's V8 inspector (CPU profiles, heap usage). */

export interface Inspector {
  send(method: string, params?: object): Promise<unknown>;
  close(): void;
}

/**
 * Connects to the first isolate behind a workerd inspector port (the Worker
 * and its Durable Objects share that isolate).
 *
 * @example
 * const cdp = await inspect(9229);
 * const { usedSize } = (await cdp.send("Runtime.getHeapUsage")) as { usedSize: number };
 */
export async function inspect(port: number): Promise<Inspector> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { id: string; webSocketDebuggerUrl?: string }[];
  const wsUrl = targets[0]?.webSocketDebuggerUrl;
  if (!wsUrl) throw new Error(`no inspector target: ${JSON.stringify(targets)}`);
  const socket = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  return {
    send(method, params = {}) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => pending.set(id, resolve));
    },
    close: () => socket.close(),
  };
}
