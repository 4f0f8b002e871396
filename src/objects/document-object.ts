import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { exchange } from "../origin/exchange.ts";
import { type DocumentExchangeCall, type DocumentRefusal, type GuardedResult, OBJECT_PROTOCOL } from "../protocol/messages.ts";
import { versionSkewDetail } from "../protocol/results.ts";
import type { DocumentObjectRpc } from "../protocol/rpc.ts";
import { DocumentTurns } from "../record/document-turns.ts";

function refusal(kind: DocumentRefusal["kind"], detail: string): DocumentRefusal {
  return { ok: false, end: "never-began", kind, detail };
}

/**
 * One object per (document group, caller scope, document ID). It forwards the
 * document's calls to the origin one at a time, in arrival order (Erply's
 * "prevention of simultaneous edits"; whose turn it is: DocumentTurns):
 *
 * - When the call at the origin runs longer than its edit timeout, every call
 *   queued behind it is dropped with `edit-timeout`, and calls arriving while
 *   it is still overdue are dropped at once. The slow call itself completes.
 * - A delete that arrives while another delete of the document is queued or
 *   running is refused at once with `delete-in-progress`.
 * - A call of another protocol version is refused untouched. The refusal is
 *   a `coordinator-unavailable`, a kind every version knows: the caller may be
 *   a KeyObject or Worker of the previous version, which could not render
 *   a kind it has never heard of.
 *
 * The queue lives in memory on purpose: it only orders calls that are alive.
 * If the object restarts, those calls failed with it, and nothing is left to
 * unlock.
 */
export class DocumentObject extends DurableObject<Env> implements DocumentObjectRpc {
  readonly #turns = new DocumentTurns();

  /**
   * Runs one origin exchange in the document's order.
   *
   * @example
   * const result = await documentObject(env, name, placement).run(call);
   */
  async run(call: DocumentExchangeCall): Promise<GuardedResult> {
    if (call.protocol !== OBJECT_PROTOCOL)
      return refusal("coordinator-unavailable", versionSkewDetail("DocumentObject", { sent: call.protocol, speaks: OBJECT_PROTOCOL }));
    const { isDelete, editTimeoutMs } = call.document;
    const arrival = this.#turns.arrive(isDelete);
    if (arrival.do === "refuse") {
      return arrival.because === "delete-in-progress"
        ? refusal("delete-in-progress", "another delete of this document is still in progress")
        : refusal("edit-timeout", "the call editing this document has run past its edit timeout; retry once it has finished");
    }
    try {
      if (arrival.do === "queue" && !(await arrival.turn)) {
        return refusal("edit-timeout", "the call ahead of this one ran past the edit timeout, so this one was dropped");
      }
      const timer = setTimeout(() => this.#turns.overdue(), editTimeoutMs);
      try {
        return await exchange(this.env, call.origin, call.originTimeoutMs, call.bufferLimit);
      } finally {
        clearTimeout(timer);
        this.#turns.finished();
      }
    } finally {
      this.#turns.leave(isDelete);
    }
  }
}
