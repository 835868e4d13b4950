import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { reportOf } from '../webhooks/webhook-report.js';
import {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_PREFIX,
  PROBLEM_TYPES,
  problemTypeUri,
  SEND_JSON_DETAIL,
  type ProblemDetails,
  type ProblemType,
} from './problem-details.js';
import { ProblemException } from './problem.exception.js';

/** Problem types for errors that carry only a status (Nest's and Fastify's own). */
const GENERIC_TYPES = new Map<number, ProblemType>(
  [PROBLEM_TYPES.notFound, PROBLEM_TYPES.methodNotAllowed, PROBLEM_TYPES.payloadTooLarge, PROBLEM_TYPES.unsupportedMediaType, PROBLEM_TYPES.rateLimited].map(
    (type) => [type.status, type],
  ),
);

/** What the sender should do, for the generic errors where the status alone says it. */
const GENERIC_DETAILS = new Map<number, string>([
  [PROBLEM_TYPES.unsupportedMediaType.status, SEND_JSON_DETAIL],
]);

/**
 * Turns every error into an RFC 9457 response. Fastify's own errors (body too large,
 * unsupported media type, malformed request) reach this filter too, because Nest installs
 * its exception handler as Fastify's error handler; they carry a `statusCode`.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemDetailsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = this.toProblem(exception);
    // The request's log line names the problem and its fix (webhooks/webhook-telemetry.ts).
    const report = reportOf(host.switchToHttp().getRequest<FastifyRequest>());
    if (report) {
      if (problem.type.startsWith(PROBLEM_TYPE_PREFIX)) report.problem = problem.type.slice(PROBLEM_TYPE_PREFIX.length);
      report.detail = problem.detail;
    }
    if (exception instanceof ProblemException) void reply.headers(exception.headers);
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }

  private toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof ProblemException) return exception.problem;
    const status = statusOf(exception);
    if (status !== undefined) {
      const known = GENERIC_TYPES.get(status);
      return {
        type: known ? problemTypeUri(known.slug) : 'about:blank',
        title: known?.title ?? titleOf(exception),
        status,
        detail: GENERIC_DETAILS.get(status) ?? detailOf(exception),
      };
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'The relay failed unexpectedly.' };
  }
}

/** The status of an HttpException, or of a Fastify client error; anything else is a 500. */
function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function titleOf(exception: unknown): string {
  return exception instanceof HttpException ? exception.name.replace(/Exception$/, '') : 'Bad Request';
}

function detailOf(exception: unknown): string {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    return Array.isArray(message) ? message.join('; ') : String(message ?? exception.message);
  }
  return exception instanceof Error ? exception.message : 'Bad request';
}
