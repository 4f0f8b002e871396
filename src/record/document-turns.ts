/**
 * Whose turn it is at a document's origin (Erply's "prevention of
 * simultaneous edits"), without the timers or the exchange: calls run one at
 * a time in arrival order; a call that runs past its edit timeout drops every
 * call queued behind it and refuses arrivals until it finishes; a delete
 * arriving while another delete of the document is queued or running is
 * refused at once. The DocumentObject carries it out.
 *
 * @example
 * const turns = new DocumentTurns();
 * turns.arrive(false) // { do: "run" }
 * turns.arrive(false) // { do: "queue", turn } — turn resolves true once the first finishes
 */
export class DocumentTurns {
  #busy = false;
  #overdue = false;
  #deletes = 0;
  readonly #queue: ((admitted: boolean) => void)[] = [];

  /**
   * Where an arriving call stands: refused at once, its turn now, or queued
   * (`turn` resolves true when it is its turn, false when an edit timeout
   * dropped it). A call not refused must `leave` once done, whatever happened.
   */
  arrive(isDelete: boolean): Arrival {
    if (isDelete && this.#deletes > 0) return { do: "refuse", because: "delete-in-progress" };
    if (this.#overdue) return { do: "refuse", because: "overdue" };
    if (isDelete) this.#deletes++;
    if (!this.#busy) {
      this.#busy = true;
      return { do: "run" };
    }
    return { do: "queue", turn: new Promise((admit) => this.#queue.push(admit)) };
  }

  /** The call at the origin ran past its edit timeout: the queue is dropped, and arrivals refused until it finishes. */
  overdue(): void {
    this.#overdue = true;
    for (const admit of this.#queue.splice(0)) admit(false);
  }

  /** The call at the origin finished: its turn goes straight to the next in line, so no newcomer slips in between. */
  finished(): void {
    this.#overdue = false;
    const next = this.#queue.shift();
    if (next) next(true);
    else this.#busy = false;
  }

  /** A call that was not refused is done (it ran, or was dropped). */
  leave(isDelete: boolean): void {
    if (isDelete) this.#deletes--;
  }
}

/** What an arriving call gets: refused at once (another delete runs, or the running call is overdue), run now, or queued. */
export type Arrival = { do: "refuse"; because: "delete-in-progress" | "overdue" } | { do: "run" } | { do: "queue"; turn: Promise<boolean> };
