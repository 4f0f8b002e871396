// The Worker: Idem from the package, as a project `idem init` wrote would have it (docs/package.md).
export { DocumentObject, default, KeyObject } from "idem-gateway/worker";
