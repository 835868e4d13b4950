/**
 * Problem Details for HTTP APIs, RFC 9457 (https://www.rfc-editor.org/rfc/rfc9457).
 * Every error the relay answers has this shape, as `application/problem+json`.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One offending field, as in the "errors" extension of RFC 9457 §3 (pointer is a JSON Pointer, RFC 6901). */
export interface FieldError {
  readonly pointer: string;
  readonly field: string;
  readonly detail: string;
}

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}

/** The problem types the relay answers with; `type` is a URN so clients can switch on it. */
export const PROBLEM_TYPES = {
  malformedRequest: { slug: 'malformed-request', title: 'Malformed HTTP request', status: 400 },
  invalidUtf8: { slug: 'invalid-utf8', title: 'Body is not UTF-8', status: 400 },
  invalidJson: { slug: 'invalid-json', title: 'Body is not JSON', status: 400 },
  duplicateMember: { slug: 'duplicate-member', title: 'Body repeats a member name', status: 400 },
  nestingTooDeep: { slug: 'nesting-too-deep', title: 'Body is nested too deeply', status: 400 },
  forbiddenMember: { slug: 'forbidden-member', title: 'Body holds a forbidden member name', status: 400 },
  numberOutOfRange: { slug: 'number-out-of-range', title: 'Body holds a number out of range', status: 400 },
  notAnObject: { slug: 'not-an-object', title: 'Body is not a JSON object', status: 400 },
  signatureMissing: { slug: 'signature-missing', title: 'Signature required', status: 401 },
  signatureInvalid: { slug: 'signature-invalid', title: 'Invalid signature', status: 401 },
  notFound: { slug: 'not-found', title: 'Not Found', status: 404 },
  methodNotAllowed: { slug: 'method-not-allowed', title: 'Method Not Allowed', status: 405 },
  requestTimeout: { slug: 'request-timeout', title: 'Request Timeout', status: 408 },
  payloadTooLarge: { slug: 'payload-too-large', title: 'Payload Too Large', status: 413 },
  recordTooLarge: { slug: 'record-too-large', title: 'Event too large for its Kafka topic', status: 413 },
  unsupportedMediaType: { slug: 'unsupported-media-type', title: 'Unsupported Media Type', status: 415 },
  unsupportedContentEncoding: { slug: 'unsupported-content-encoding', title: 'Unsupported Content-Encoding', status: 415 },
  validationFailed: { slug: 'validation-failed', title: 'Webhook payload is invalid', status: 422 },
  recordInvalid: { slug: 'record-invalid', title: 'Kafka refused the event', status: 422 },
  rateLimited: { slug: 'rate-limited', title: 'Too Many Requests', status: 429 },
  headersTooLarge: { slug: 'headers-too-large', title: 'Request Header Fields Too Large', status: 431 },
  kafkaUnavailable: { slug: 'kafka-unavailable', title: 'Kafka did not acknowledge the event', status: 503 },
  topicMissing: { slug: 'topic-missing', title: 'Kafka topic does not exist', status: 503 },
  topicNotAuthorized: { slug: 'topic-not-authorized', title: 'Kafka topic not writable', status: 503 },
  notReady: { slug: 'not-ready', title: 'Not ready', status: 503 },
  shuttingDown: { slug: 'shutting-down', title: 'Shutting down', status: 503 },
} as const;

export type ProblemType = (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];

/** The 415's detail, wherever it is answered (Fastify's content-type check, the JSON body pipe): what to send instead. */
export const SEND_JSON_DETAIL = 'Send the webhook body as JSON with the header Content-Type: application/json';

export const PROBLEM_TYPE_PREFIX = 'urn:dropea-relay:problem:';

export function problemTypeUri(slug: string): string {
  return `${PROBLEM_TYPE_PREFIX}${slug}`;
}
