import type { RecordSnapshot } from "../protocol/snapshots.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A stored body as JSON: its text when it is UTF-8, base64 otherwise. */
function bodyView(body: Uint8Array): { encoding: "utf-8" | "base64"; data: string } {
  try {
    return { encoding: "utf-8", data: strictUtf8.decode(body) };
  } catch {
    return { encoding: "base64", data: base64(body) };
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A record as the admin API answers it: state, times, fingerprint, the stored
 * status and header names, sizes, and the body only when it was asked for.
 * An `outcome-unknown` record says what failed and when (`outcome`).
 *
 * @example
 * recordView(snapshot, "5c0e…") // { record: "5c0e…", state: "completed", response: { status: 201, … }, … }
 */
export function recordView(snapshot: RecordSnapshot, keyObject: string) {
  return {
    record: snapshot.id,
    keyObject,
    route: snapshot.route,
    kind: snapshot.kind,
    state: snapshot.state,
    running: snapshot.running,
    createdAt: iso(snapshot.createdAt),
    expiresAt: iso(snapshot.expiresAt),
    lockExpiresAt: iso(snapshot.lockExpiresAt),
    fingerprint: snapshot.fingerprint,
    response:
      snapshot.status === null
        ? null
        : {
            status: snapshot.status,
            headerNames: snapshot.headerNames,
            bodyBytes: snapshot.bodyBytes,
            bodyRetained: snapshot.bodyRetained,
          },
    outcome:
      snapshot.failure === null
        ? undefined
        : {
            failure: snapshot.failure.kind,
            detail: snapshot.failure.detail,
            failedAt: iso(snapshot.failure.at),
            ...(snapshot.failure.originStatus === undefined ? {} : { originalStatus: snapshot.failure.originStatus }),
          },
    storedBytes: (snapshot.bodyBytes ?? 0) + snapshot.headerBytes,
    ...(snapshot.body ? { body: bodyView(snapshot.body) } : {}),
  };
}
