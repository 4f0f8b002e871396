import { problemDocsPath } from "../config/resolve.ts";
import type { ErrorKind } from "../model/enumerations.ts";
import { ADMIN_ERROR_CATALOG, type AdminErrorKind, ERROR_CATALOG } from "./catalog.ts";

/** Every problem Idem can answer with: the gateway's and the admin API's. */
export type ProblemKind = ErrorKind | AdminErrorKind;

/** What a client's developer needs to know about one problem type. */
interface ProblemDoc {
  /** What happened, in a sentence or two. */
  happened: string;
  /** Whether to retry, when, and with which key. */
  retry: string;
}

const SAME_KEY_LATER = "Yes, with the same key and the same request, after Retry-After seconds (when the answer has one).";
const FIX_FIRST = "Not as it is: nothing was recorded, so fix the request and send it again (with the same key, or any key).";

/**
 * The documentation of each problem type: the page Idem serves at
 * `<admin prefix>/problems/<kind>` and links from every error answer.
 * `satisfies` makes a new kind without documentation a type error.
 */
export const PROBLEM_DOCS = {
  "invalid-key": {
    happened: "The idempotency key is malformed: empty, too long, not visible ASCII, not matching the route's pattern, or sent twice.",
    retry: `${FIX_FIRST} Send one key of 1 to 255 visible ASCII characters.`,
  },
  "key-required": {
    happened: "This route only accepts requests that carry an idempotency key, and this one had none.",
    retry: `${FIX_FIRST} Add a fresh key (a UUID) and reuse it for every retry of this request.`,
  },
  "invalid-body": {
    happened:
      "The body could not be read as its Content-Type says, a field Idem reads was sent twice, or the JSON holds a member twice in one object or starts with a byte order mark (origins read those differently).",
    retry: FIX_FIRST,
  },
  "unsupported-media-type": {
    happened:
      "This route reads fields from the body, and the body is in a form it does not read: no Content-Type, a media type other than JSON, application/x-www-form-urlencoded or multipart/form-data, a Content-Encoding (gzip, deflate, …), or JSON sent as a form. Idem refuses it rather than pass it on unguarded.",
    retry: `${FIX_FIRST} Send the body unencoded, with the Content-Type that says what it is (application/json for JSON).`,
  },
  "body-too-large": {
    happened: "The body is larger than this gateway buffers for requests it guards (maxRequestBodyBytes).",
    retry: "Not with this body: nothing was recorded and the API was not called.",
  },
  "ambiguous-path": {
    happened: "The path holds an encoded dot-segment, a backslash or a broken escape, which servers read in different ways.",
    retry: FIX_FIRST,
  },
  "method-not-allowed": {
    happened:
      "TRACE, TRACK and CONNECT are answered by the gateway itself: an origin that echoes a request would show the headers the gateway adds to it.",
    retry: "Not with this method: use one of those the Allow header lists.",
  },
  "origin-not-allowed": {
    happened:
      "The back end this request goes to is chosen from its own fields (such as an account code), and those fields name no host the gateway allows, or are missing. The request was not sent.",
    retry: `${FIX_FIRST} Check the field the detail names.`,
  },
  "caller-unidentified": {
    happened:
      "This route keeps each caller's records apart by fields the request did not carry (its scope, e.g. Authorization; an empty value or a placeholder such as `Bearer null` counts as none), and it does not share records between anonymous callers.",
    retry: `${FIX_FIRST} Send the caller's credential. An API whose browser callers sign in with a cookie can be scoped by it: scope = ["cookie:<its session cookie>"].`,
  },
  "batch-too-large": {
    happened: "The bulk request holds more calls than this route takes in one request.",
    retry: "Not as it is: nothing was sent. Split the calls over several bulk requests.",
  },
  "fingerprint-mismatch": {
    happened:
      "This key was used before with a different request (method, path, query, body or fingerprinted headers). The first request's record is kept.",
    retry: "Not with this key: send the original request to get its answer again, or use a new key for a new request.",
  },
  "in-progress": {
    happened: "The first request with this key is still running at the API.",
    retry: `${SAME_KEY_LATER} You then get the first request's answer.`,
  },
  "key-already-used": {
    happened: "This route's keys are single-use, and this one was used within its time to live, whatever the request.",
    retry: "Not with this key: a new operation needs a new key.",
  },
  "edit-timeout": {
    happened:
      "Another call on the same document has been running at the API longer than the route's edit timeout; this call was queued behind it and not sent.",
    retry: "Yes, with the same key, once the other call has finished.",
  },
  "delete-in-progress": {
    happened: "A delete of this document is already queued or running; this second delete was not sent.",
    retry: "No need: the first delete is doing it. Check the document afterwards.",
  },
  "response-not-replayable": {
    happened:
      "The request with this key ran at the API, but its answer was too large to keep (maxStoredResponseBytes), so it cannot be replayed. originalStatus says how it ended.",
    retry: "No: the request was executed. Read the result from the API instead of sending it again.",
  },
  "origin-timeout": {
    happened: "The API did not answer within the gateway's origin timeout. It may or may not have acted on the request.",
    retry: "Yes, with the same key: the record was released, so the retry runs at the API again.",
  },
  "origin-unreachable": {
    happened: "The API could not be reached: the connection was refused or lost before an answer came.",
    retry: "Yes, with the same key: the record was released, so the retry runs at the API again.",
  },
  "origin-broken-response": {
    happened: "The API's answer broke off half-way. Nothing partial was stored.",
    retry: "Yes, with the same key: the record was released, so the retry runs at the API again.",
  },
  "origin-invalid-status": {
    happened: "The API answered with a status outside 200-599, which no client can be given. originalStatus says which.",
    retry: "With the same key: on a route that remembers unknown outcomes the retry gets outcome-unknown; otherwise it runs again.",
  },
  "outcome-unknown": {
    happened:
      "The request with this key may have run at the API: it timed out, the connection broke, the answer broke off or could not be stored. failure says which. Idem remembers this and never sends the request again.",
    retry:
      "Not blindly: every retry with this key gets this answer. Check at the API whether it ran; an operator can record the real answer (admin API, resolve) or purge the record so the key runs again.",
  },
  "version-skew": {
    happened: "A deploy is rolling out and the gateway and its record store briefly run different versions; nothing was sent to the API.",
    retry: "Yes, with the same key, after Retry-After (1 s).",
  },
  "coordinator-unavailable": {
    happened:
      "The gateway could not reach or write the key's record, so it did not forward the request (or, with originalStatus, could not store the API's answer).",
    retry: SAME_KEY_LATER,
  },
  "admin-disabled": {
    happened: "The admin API is off: the ADMIN_TOKEN secret is unset, shorter than 32 characters, or an example token this repository publishes.",
    retry: "No: set the secret first (openssl rand -hex 32 | wrangler secret put ADMIN_TOKEN).",
  },
  "admin-unauthorized": {
    happened: "The Authorization header is missing or does not carry the admin token as a bearer token.",
    retry: "With Authorization: Bearer <ADMIN_TOKEN>.",
  },
  "admin-not-found": { happened: "No admin endpoint has this method and path.", retry: "No: see docs/admin-api.md for the endpoints." },
  "admin-invalid-request": { happened: "The admin request's parameters or body are not what the endpoint takes.", retry: FIX_FIRST },
  "admin-body-too-large": {
    happened: "The admin request's body is larger than maxRequestBodyBytes; it was refused before being read further.",
    retry: "With a smaller body.",
  },
  "admin-record-not-found": {
    happened: "No record has this ID: it was never stored, it expired, or it was purged.",
    retry: "No.",
  },
  "admin-record-running": {
    happened: "The record's request is still running at the API, so purging it could let a retry run twice.",
    retry: "Yes, once it has finished; or purge with ?force=true if you know its owner is gone.",
  },
  "admin-record-completed": {
    happened: "The record already holds the API's answer, so there is no unknown outcome to resolve.",
    retry: "No: purge the record first if the stored answer is wrong.",
  },
  "admin-no-record": {
    happened: "The request described resolves to no record: no route, key or dedup rule covers it.",
    retry: "No: check-config --explain shows how the gateway reads that request.",
  },
  "admin-unavailable": { happened: "The record store could not be reached.", retry: SAME_KEY_LATER },
} as const satisfies Record<ProblemKind, ProblemDoc>;

const PROBLEM_PAGE = /^\/problems(?:\/([a-z-]+))?\/?$/;

function isProblemKind(name: string): name is ProblemKind {
  return Object.hasOwn(PROBLEM_DOCS, name);
}

/**
 * A problem's stable type URI. A URN names the type without claiming a web
 * domain this project does not control; the documentation is linked with
 * `Link: rel="describedby"` instead (see `problemDocsLink`).
 *
 * @example
 * problemType("fingerprint-mismatch") // "urn:idem:problem:fingerprint-mismatch"
 */
export function problemType(kind: ProblemKind): string {
  return `urn:idem:problem:${kind}`;
}

/**
 * The `Link` header value that points at a problem's documentation under
 * `docsBase`: the configured `problemDocsUrl`, or the gateway's own pages
 * (`problemDocsPath`), a path the client resolves against the request's URL
 * (RFC 8288, section 3.2).
 *
 * @example
 * problemDocsLink("in-progress", "/__idem/problems/") // '</__idem/problems/in-progress>; rel="describedby"; type="text/html"'
 */
export function problemDocsLink(kind: ProblemKind, docsBase: string): string {
  return `<${docsBase}${kind}>; rel="describedby"; type="text/html"`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
}

function page(title: string, body: string): Response {
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "public, max-age=3600" } });
}

function statusOf(kind: ProblemKind): { status: number; title: string } {
  return isAdminKind(kind) ? ADMIN_ERROR_CATALOG[kind] : ERROR_CATALOG[kind];
}

function isAdminKind(kind: ProblemKind): kind is AdminErrorKind {
  return Object.hasOwn(ADMIN_ERROR_CATALOG, kind);
}

/**
 * The documentation page for a path under the admin prefix, if it is one:
 * `/problems` lists every type, `/problems/<kind>` documents one. Public: no
 * token, as clients follow these links from error answers.
 *
 * @example
 * problemDocsPage("/__idem", "/__idem/problems/in-progress") // 200 text/html: what happened, whether to retry
 * problemDocsPage("/__idem", "/__idem/records/abc")          // undefined: not a documentation page
 */
export function problemDocsPage(adminPrefix: string, pathname: string): Response | undefined {
  if (!pathname.startsWith(`${adminPrefix}/`)) return undefined;
  const match = PROBLEM_PAGE.exec(pathname.slice(adminPrefix.length));
  if (!match) return undefined;
  const name = match[1];
  if (name === undefined) {
    const items = Object.keys(PROBLEM_DOCS)
      .filter(isProblemKind)
      .map(
        (kind) =>
          `<li><a href="${problemDocsPath(adminPrefix)}${kind}">${kind}</a> (${statusOf(kind).status}): ${escapeHtml(statusOf(kind).title)}</li>`,
      );
    return page("Idem problem types", `<h1>Problem types</h1>\n<ul>\n${items.join("\n")}\n</ul>`);
  }
  if (!isProblemKind(name)) return undefined;
  const { status, title } = statusOf(name);
  const doc: ProblemDoc = PROBLEM_DOCS[name];
  return page(
    title,
    [
      `<h1>${escapeHtml(title)}</h1>`,
      `<p><code>type</code>: <code>${problemType(name)}</code>, status ${status}</p>`,
      `<h2>What happened</h2>\n<p>${escapeHtml(doc.happened)}</p>`,
      `<h2>Retry?</h2>\n<p>${escapeHtml(doc.retry)}</p>`,
    ].join("\n"),
  );
}
