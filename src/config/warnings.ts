/**
 * What in a valid config deserves a second look before it is deployed:
 * `check-config` prints each line. Today: routes where callers Idem cannot
 * identify share records (docs/behaviour.md, rule 3).
 *
 * @example
 * configWarnings(loadConfig({ origin, routes: [{ name: "orders", path: "/orders", anonymous: "share" }] }))
 * // ['routes "orders": a request with a key but no header:Authorization shares one scope with every other such request …']
 */
export function configWarnings(config: IdemConfig): string[] {
  return config.routes.flatMap((route) => {
    if (route.scope.length === 0) {
      return [`routes "${route.name}": scope is empty, so every caller shares one scope: two callers sending the same key see each other's answers`];
    }
    if (route.identifiedBy.length === 0) {
      // Only the fields that pick a template origin: callers of one account share.
      return [
        `routes "${route.name}": no scope field identifies the caller (the scope holds only ${route.scope.map((ref) => ref.text).join(", ")}, which pick the origin), so the callers of one account share one scope`,
      ];
    }
    if (route.anonymous === "refuse") return [];
    const fields = route.identifiedBy.map((ref) => ref.text).join(", ");
    return [
      `routes "${route.name}": a request with a key but no ${fields} shares one scope with every other such request, so those callers see each other's answers; set anonymous = "refuse" to answer them 400 (docs/behaviour.md, rule 3)`,
    ];
  });
}

import type { IdemConfig } from "../model/config.ts";
