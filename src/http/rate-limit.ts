import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RateLimitConfig } from '../config/http.config.js';
import { PROBLEM_TYPES } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';
import { isWebhookRoute } from '../webhooks/webhook-routes.js';

/**
 * Per-client limit on webhook requests (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS, off when
 * RATE_LIMIT_MAX is 0): past it a client gets 429 problem+json with Retry-After (RFC 6585 §4)
 * until its window ends. The client is the request's address, which TRUST_PROXY lets come from
 * X-Forwarded-For behind an ingress. Counts live in this process, in a bounded LRU of clients:
 * each replica limits on its own. Probes, /metrics and /docs are never limited. The plugin (and
 * the address parsing it brings) is loaded only when the limit is on.
 */
export async function registerRateLimit(app: NestFastifyApplication, config: RateLimitConfig): Promise<void> {
  if (config.max === 0) return;
  const { default: rateLimit } = await import('@fastify/rate-limit');
  await app.register(rateLimit, {
    max: config.max,
    timeWindow: config.windowMs,
    allowList: (request) => {
      const route = request.routeOptions.url;
      return route === undefined || !isWebhookRoute(route);
    },
    // Retry-After is set with the problem document, from the same number of seconds.
    addHeaders: { 'retry-after': false },
    errorResponseBuilder: (_request, context) =>
      ProblemException.of(PROBLEM_TYPES.rateLimited, `More than ${context.max} webhooks in ${windowText(config.windowMs)} from this client`, {
        retryAfterSeconds: Math.max(1, Math.ceil(context.ttl / 1000)),
      }),
  });
}

function windowText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
