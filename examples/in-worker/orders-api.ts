/**
 * The orders API: an itty-router app whose handlers live in the same Worker
 * as Idem. Nothing here knows about idempotency: `POST /orders` creates an
 * order with a fresh ID every time it runs, as most APIs do. Idem, in front,
 * makes sure it runs once per key.
 *
 * Orders are kept in this isolate's memory, a stand-in for your database: a
 * production Worker runs many isolates, each with its own map.
 */
import { AutoRouter, error, type IRequest, json } from "itty-router";

/** An order as the API creates and returns it. */
export interface Order {
  id: string;
  item: string;
  quantity: number;
  createdAt: string;
}

const orders = new Map<string, Order>();

/** The order a request body describes, or the reason it does not describe one. */
function orderFields(body: unknown): { item: string; quantity: number } | string {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return 'send a JSON object: {"item": "lamp", "quantity": 1}';
  const { item, quantity = 1 } = body as Record<string, unknown>;
  if (typeof item !== "string" || item === "") return "item must be a non-empty string";
  if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 1) return "quantity must be a whole number of at least 1";
  return { item, quantity };
}

// AutoRouter: JSON answers, 404 for what no route matches, 500 for what throws.
const router = AutoRouter();

router.post("/orders", async (request: IRequest) => {
  const fields = orderFields(await request.json().catch(() => undefined));
  if (typeof fields === "string") return error(400, fields);
  const order: Order = { id: `ord_${crypto.randomUUID()}`, ...fields, createdAt: new Date().toISOString() };
  orders.set(order.id, order);
  return json(order, { status: 201 });
});

router.get("/orders/:id", ({ params }: IRequest) => orders.get(params.id ?? "") ?? error(404, "no such order"));

/**
 * The API: what the Worker's OrdersApi entrypoint serves.
 *
 * @example
 * const response = await ordersApi.fetch(new Request("https://api.example/orders", { method: "POST", body: '{"item":"lamp"}' }));
 * // 201 {"id":"ord_…","item":"lamp","quantity":1,"createdAt":"…"}
 */
export const ordersApi: { fetch(request: Request): Promise<Response> } = router;
