import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { WEBHOOKS_CONFIG } from '../config/config.tokens.js';
import type { WebhooksConfig } from '../config/webhooks.config.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { PROBLEM_TYPES } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';
import { HmacSha256Key } from './hmac-sha256-key.js';
import { checkSignature } from './signature.js';

export const SIGNATURE_HEADER = 'x-dropea-hmac-sha256';

/**
 * Verifies `X-Dropea-Hmac-Sha256` over the raw body bytes before anything parses them, in the
 * mode DROPEA_SIGNATURE_MODE sets (CONTRACT.md §1). Answers never hint at the expected digest.
 */
@Injectable()
export class DropeaSignatureGuard implements CanActivate {
  private readonly logger = new Logger(DropeaSignatureGuard.name);
  private readonly keys: readonly HmacSha256Key[];

  constructor(
    @Inject(WEBHOOKS_CONFIG) private readonly config: WebhooksConfig,
    private readonly metrics: RelayMetrics,
  ) {
    this.keys = config.apiKeys.map((key) => new HmacSha256Key(key));
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.config.signatureMode === 'off') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const header = request.headers[SIGNATURE_HEADER];
    // Node joins repeated headers with ", ", which no digest encoding contains: several
    // signature headers are therefore an invalid signature, never a choice of the best one.
    const value = Array.isArray(header) ? header.join(', ') : header;

    const result = checkSignature(rawBody, value, this.keys);
    this.metrics.signatureChecks.inc({ result });
    switch (result) {
      case 'valid':
        return true;
      case 'missing':
        if (this.config.signatureMode === 'optional') {
          this.logger.debug('Accepted an unsigned webhook (DROPEA_SIGNATURE_MODE=optional)');
          return true;
        }
        throw ProblemException.of(PROBLEM_TYPES.signatureMissing, 'The X-Dropea-Hmac-Sha256 header is required');
      case 'invalid':
        throw ProblemException.of(PROBLEM_TYPES.signatureInvalid, 'The X-Dropea-Hmac-Sha256 header does not match the body');
    }
  }
}
