/** One request as the demo origin's log (`GET /__demo/requests`) reports it. */
export interface ReceivedRequest {
  seq: number;
  tag: string | null;
  method: string;
  path: string;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  startedAt: number;
  endedAt?: number;
}
