/**
 * A request field that cannot be read unambiguously: a name sent twice with
 * different values, a body that cannot be parsed, JSON nested too deep. The
 * gateway answers 400 `invalid-body` (415 `unsupported-media-type` for an
 * UnsupportedBodyError).
 *
 * @example
 * throw new FieldError('the form field "request" is sent 2 times with different values');
 */
export class FieldError extends Error {}
