// The Worker: Idem from the package, its config from this folder (docs/package.md).
export { DocumentObject, default, KeyObject } from "idem-gateway/worker";
