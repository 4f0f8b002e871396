import { parse as parseToml, TomlError } from "smol-toml";
import type { IdemConfig } from "../model/config.ts";
import { ConfigError, loadConfig } from "./load.ts";

/** The module specifier a wrangler `alias` points at the config file. Without one, it resolves to no file. */
export const CONFIG_FILE_SPECIFIER = "#idem-config";

/** The names a config file may have, so that the Worker's own start-up errors can name it. */
export const CONFIG_FILE_NAMES = ["idem.config.toml", "idem.config.json"] as const;

/** Where an Idem config can come from; at most one of `file` and `variable` may hold one. */
export interface ConfigSources {
  /** The bundled config file's text: TOML, or JSON when it starts with `{`. Empty: no file. */
  file: string;
  /** How errors name the file: its path when known (check-config), else its conventional name. */
  fileLabel?: string;
  /** `IDEM_CONFIG`: an object (`[vars.IDEM_CONFIG]`) or a JSON string. */
  variable: unknown;
  /** `IDEM_ENV`: which `[env.<name>]` section of the config applies; unset: the top level alone. */
  environment?: string;
}

const isTable = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

const isSet = (value: unknown) => value !== undefined && value !== null && value !== "";

/** A JSON config starts with `{`; a TOML document never does (a table needs a key). */
const isJson = (text: string) => text.trimStart().startsWith("{");

function fileLabel(sources: ConfigSources): string {
  return sources.fileLabel ?? (isJson(sources.file) ? "idem.config.json" : "idem.config.toml");
}

/** The file's text as a plain object; syntax errors name the line. */
function parseFile(file: string, label: string): unknown {
  if (isJson(file)) return parseJson(file, label);
  try {
    return parseToml(file);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const [reason = error.message] = error.message.split("\n");
    throw new ConfigError([
      `(file): is not valid TOML (line ${error.line}, column ${error.column}: ${reason.replace(/^Invalid TOML document: /, "")})`,
    ]);
  }
}

/**
 * Applies the `[env.<name>]` section of a config, if `environment` names one:
 * each field the section sets replaces the top level's field of that name
 * (a section that sets `routes` replaces the whole list). Also returns which
 * fields came from the section, so that errors can say where they were written.
 */
function selectEnvironment(raw: unknown, environment: string | undefined): { config: unknown; fromSection: Set<string>; section?: string } {
  if (!isTable(raw) || !("env" in raw)) {
    if (environment !== undefined) {
      throw new ConfigError([`IDEM_ENV: "${environment}" names no [env.${environment}] section (the config has no env sections)`]);
    }
    return { config: raw, fromSection: new Set() };
  }
  const { env: sections, ...top } = raw;
  if (!isTable(sections) || !Object.values(sections).every(isTable)) {
    throw new ConfigError(["env: must be a table of sections, one per environment ([env.production] …)"]);
  }
  if (environment === undefined) return { config: top, fromSection: new Set() };
  const section = sections[environment];
  if (!isTable(section)) {
    const names = Object.keys(sections);
    throw new ConfigError([
      `IDEM_ENV: "${environment}" names no [env.${environment}] section (the config has ${names.map((n) => `[env.${n}]`).join(", ")})`,
    ]);
  }
  if ("env" in section) throw new ConfigError([`env.${environment}.env: sections do not nest`]);
  return { config: { ...top, ...section }, fromSection: new Set(Object.keys(section)), section: environment };
}

/** A problem about a field the selected section set names the section: `env.production.origin: …`. */
function locate(problem: string, fromSection: ReadonlySet<string>, section: string | undefined): string {
  const field = /^[A-Za-z$]+/.exec(problem)?.[0];
  return section !== undefined && field !== undefined && fromSection.has(field) ? `env.${section}.${problem}` : problem;
}

/**
 * The config the Worker runs: from the bundled config file or from
 * `IDEM_CONFIG` (never both), with the `[env.<name>]` section that `IDEM_ENV`
 * names applied. Every error names where the config was read and the field.
 *
 * @throws ConfigError naming the file (or variable) and every bad field.
 * @example
 * import configFile from "#idem-config";
 * const config = loadConfigFrom({ file: configFile, variable: env.IDEM_CONFIG, environment: env.IDEM_ENV });
 */
export function loadConfigFrom(sources: ConfigSources): IdemConfig {
  const hasFile = sources.file.trim() !== "";
  if (hasFile && isSet(sources.variable)) {
    throw new ConfigError(
      [
        `IDEM_CONFIG: is set, and the config file ${fileLabel(sources)} is bundled too; keep one of them (remove [vars.IDEM_CONFIG], or the "${CONFIG_FILE_SPECIFIER}" alias in wrangler.toml)`,
      ],
      "wrangler.toml",
    );
  }
  if (!hasFile && !isSet(sources.variable)) {
    throw new ConfigError([
      `(config): none found; write ${CONFIG_FILE_NAMES[0]} beside wrangler.toml (bundled through the "${CONFIG_FILE_SPECIFIER}" alias), or define [vars.IDEM_CONFIG]`,
    ]);
  }
  const label = hasFile ? fileLabel(sources) : "IDEM_CONFIG";
  try {
    const raw = hasFile ? parseFile(sources.file, label) : sources.variable;
    const parsed = typeof raw === "string" ? parseJson(raw, label) : raw;
    const { config, fromSection, section } = selectEnvironment(parsed, sources.environment);
    try {
      return loadConfig(config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(
        error.problems.map((p) => locate(p, fromSection, section)),
        label,
      );
    }
  } catch (error) {
    if (error instanceof ConfigError && error.source === undefined) throw new ConfigError(error.problems, label);
    throw error;
  }
}

function parseJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`(${label === "IDEM_CONFIG" ? "variable" : "file"}): is not valid JSON (${(error as Error).message})`]);
  }
}
