import { describe, expect, it } from "vitest";
import { type Arrival, DocumentTurns } from "./document-turns.ts";

// The document rules (docs/erply.md): edits one at a time in arrival order, a second
// delete refused while one is queued or running, an overdue call drops the queue. No object, no origin.

/** Where a call stands, once every turn handed out so far has been taken: refused (why), running, queued, admitted or dropped. */
async function standing(arrival: Arrival): Promise<string> {
  if (arrival.do === "refuse") return `refused: ${arrival.because}`;
  if (arrival.do === "run") return "running";
  let now = "queued";
  void arrival.turn.then((admitted) => {
    now = admitted ? "admitted" : "dropped";
  });
  await new Promise((settled) => setTimeout(settled, 0));
  return now;
}

describe("DocumentTurns", () => {
  it("runs edits one at a time, in arrival order, handing each turn straight to the next", async () => {
    const turns = new DocumentTurns();
    const first = turns.arrive(false);
    const second = turns.arrive(false);
    const third = turns.arrive(false);
    expect(await standing(first)).toBe("running");
    expect(await standing(second)).toBe("queued");
    expect(await standing(third)).toBe("queued");
    turns.finished();
    turns.leave(false);
    expect(await standing(second)).toBe("admitted");
    expect(await standing(third)).toBe("queued");
    // A newcomer while the second runs queues behind the third.
    const fourth = turns.arrive(false);
    turns.finished();
    turns.leave(false);
    expect(await standing(third)).toBe("admitted");
    expect(await standing(fourth)).toBe("queued");
  });

  it.each([
    ["a delete while another delete runs: refused", [true], true, "refused: delete-in-progress"],
    ["a delete while another delete is queued: refused", [false, true], true, "refused: delete-in-progress"],
    ["an edit while a delete runs: queued", [true], false, "queued"],
    ["a delete while an edit runs: queued", [false], true, "queued"],
  ] as const)("%s", async (_rule, before, isDelete, expected) => {
    const turns = new DocumentTurns();
    for (const earlier of before) turns.arrive(earlier);
    expect(await standing(turns.arrive(isDelete))).toBe(expected);
  });

  it("a delete may run again once the first delete left", async () => {
    const turns = new DocumentTurns();
    turns.arrive(true);
    turns.finished();
    turns.leave(true);
    expect(await standing(turns.arrive(true))).toBe("running");
  });

  it("an overdue call drops the queue and refuses arrivals until it finishes; the next arrival then runs", async () => {
    const turns = new DocumentTurns();
    turns.arrive(false);
    const queued = turns.arrive(true);
    turns.overdue();
    expect(await standing(queued)).toBe("dropped");
    turns.leave(true);
    expect(await standing(turns.arrive(false))).toBe("refused: overdue");
    turns.finished();
    turns.leave(false);
    expect(await standing(turns.arrive(true))).toBe("running");
  });
});
