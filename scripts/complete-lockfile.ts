/**
 * The npm registry reachable here lacks workerd's macOS and Windows binaries
 * (404), so `npm install` leaves them out of package-lock.json, and `npm ci`
 * then refuses the lock as out of sync. This adds the missing optional
 * platform packages back as lock entries (without integrity), which npm ci
 * accepts and skips on Linux. Run it after every `npm install`:
 *
 *   npm install && node scripts/complete-lockfile.ts
 */
import { readFileSync, writeFileSync } from "node:fs";

interface LockEntry {
  version?: string;
  optional?: boolean;
  dev?: boolean;
  os?: string[];
  cpu?: string[];
  optionalDependencies?: Record<string, string>;
}

const PLATFORM = /(?:^|-)(darwin|win32|windows|linux|freebsd)-(64|x64|arm64|ia32|arm)$/;

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8")) as { packages: Record<string, LockEntry> };
let added = 0;
for (const [location, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    const nested = `${location}/node_modules/${name}`;
    if (lock.packages[target] || lock.packages[nested]) continue;
    const platform = PLATFORM.exec(name);
    if (!platform) continue;
    const os = platform[1] === "windows" ? "win32" : (platform[1] as string);
    const cpu = platform[2] === "64" ? "x64" : (platform[2] as string);
    lock.packages[target] = { version, dev: entry.dev, optional: true, os: [os], cpu: [cpu] };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} missing optional platform entries`);
