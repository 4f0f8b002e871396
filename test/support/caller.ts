/**
 * Who a test's requests come from unless it says otherwise: routes refuse a
 * keyed request that names no caller (`anonymous = "refuse"`, the default),
 * so a test about anything else sends this Authorization. Node-safe: the
 * proofs shared by the workerd and bundle harnesses use it too.
 */
export const TEST_CALLER = "Bearer test-caller";
