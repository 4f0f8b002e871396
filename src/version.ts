// A named import: the bundler keeps only this field of package.json, not the whole file.
import { version } from "../package.json";

/** Idem's version, from package.json at build time. */
export const IDEM_VERSION: string = version;
