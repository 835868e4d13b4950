import type { FastifyRequest } from 'fastify';
import type { SignatureStatus, WebhookOrigin } from '../dead-letter/dead-letter.js';
import type { SignatureMode } from '../config/webhooks.config.js';
import type { TraceContext } from '../publishing/event-publisher.js';
import { SIGNATURE_HEADER } from './dropea-signature.guard.js';
import type { WebhookRoute } from './webhook-routes.js';

/** What the relay knows of one webhook request besides its parsed body. */
export interface Delivery extends WebhookOrigin {
  readonly route: WebhookRoute;
}

export function deliveryOf(request: FastifyRequest, route: WebhookRoute, mode: SignatureMode, trace: TraceContext): Delivery {
  return {
    route,
    body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
    contentType: request.headers['content-type'] ?? 'application/json',
    receivedAt: new Date(),
    signature: signatureStatusOf(mode, request.headers[SIGNATURE_HEADER]),
    trace,
  };
}

/**
 * The guard has let the request through, so a signature header that is present matched a key:
 * its status follows from the mode and the header's presence alone.
 */
function signatureStatusOf(mode: SignatureMode, header: string | string[] | undefined): SignatureStatus {
  if (mode === 'off') return 'unchecked';
  return header === undefined ? 'missing' : 'valid';
}
