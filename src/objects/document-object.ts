import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { exchange } from "../origin/exchange.ts";
import { type DocumentExchangeCall, type DocumentRefusal, type GuardedResult, OBJECT_PROTOCOL } from "../protocol/messages.ts";
import { versionSkewDetail } from "../protocol/results.ts";

interface Waiter {
  /** true: it is this call's turn; false: it was dropped by an edit timeout. */
  admit: (admitted: boolean) => void;
}

function refusal(kind: DocumentRefusal["kind"], detail: string): DocumentRefusal {
  return { ok: false, end: "never-began", kind, detail };
}

/**
 * One object per (document group, caller scope, document ID). It forwards the
 * document's calls to the origin one at a time, in arrival order (Erply's
 * "prevention of simultaneous edits"):
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
export class DocumentObject extends DurableObject<Env> {
  #busy = false;
  #overdue = false;
  #deletes = 0;
  readonly #queue: Waiter[] = [];

  /**
   * Runs one origin exchange in the document's order.
   *
   * @example
   * const result = await stubFor(env.DOCUMENTS, name, placement).run(call);
   */
  async run(call: DocumentExchangeCall): Promise<GuardedResult> {
    if (call.protocol !== OBJECT_PROTOCOL)
      return refusal("coordinator-unavailable", versionSkewDetail("DocumentObject", { sent: call.protocol, speaks: OBJECT_PROTOCOL }));
    const { isDelete, editTimeoutMs } = call.document;
    if (isDelete && this.#deletes > 0) {
      return refusal("delete-in-progress", "another delete of this document is still in progress");
    }
    if (this.#overdue) {
      return refusal("edit-timeout", "the call editing this document has run past its edit timeout; retry once it has finished");
    }
    if (isDelete) this.#deletes++;
    try {
      // The finishing call hands its turn straight to the next waiter, so no newcomer can slip in between.
      if (!this.#busy) this.#busy = true;
      else if (!(await this.#waitTurn())) {
        return refusal("edit-timeout", "the call ahead of this one ran past the edit timeout, so this one was dropped");
      }
      const timer = setTimeout(() => this.#dropQueue(), editTimeoutMs);
      try {
        return await exchange(call.origin, call.originTimeoutMs, call.bufferLimit);
      } finally {
        clearTimeout(timer);
        this.#overdue = false;
        const next = this.#queue.shift();
        if (next) next.admit(true);
        else this.#busy = false;
      }
    } finally {
      if (isDelete) this.#deletes--;
    }
  }

  #waitTurn(): Promise<boolean> {
    return new Promise((resolve) => this.#queue.push({ admit: resolve }));
  }

  #dropQueue(): void {
    this.#overdue = true;
    for (const waiter of this.#queue.splice(0)) waiter.admit(false);
  }
}
