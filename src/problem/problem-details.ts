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
  invalidJson: { slug: 'invalid-json', title: 'Body is not JSON', status: 400 },
  notAnObject: { slug: 'not-an-object', title: 'Body is not a JSON object', status: 400 },
  signatureMissing: { slug: 'signature-missing', title: 'Signature required', status: 401 },
  signatureInvalid: { slug: 'signature-invalid', title: 'Invalid signature', status: 401 },
  notFound: { slug: 'not-found', title: 'Not Found', status: 404 },
  methodNotAllowed: { slug: 'method-not-allowed', title: 'Method Not Allowed', status: 405 },
  payloadTooLarge: { slug: 'payload-too-large', title: 'Payload Too Large', status: 413 },
  unsupportedMediaType: { slug: 'unsupported-media-type', title: 'Unsupported Media Type', status: 415 },
  validationFailed: { slug: 'validation-failed', title: 'Webhook payload is invalid', status: 422 },
  kafkaUnavailable: { slug: 'kafka-unavailable', title: 'Kafka did not acknowledge the event', status: 503 },
  notReady: { slug: 'not-ready', title: 'Not ready', status: 503 },
  shuttingDown: { slug: 'shutting-down', title: 'Shutting down', status: 503 },
} as const;

export type ProblemType = (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];

export function problemTypeUri(slug: string): string {
  return `urn:dropea-relay:problem:${slug}`;
}
