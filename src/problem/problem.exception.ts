import { HttpException } from '@nestjs/common';
import { problemTypeUri, type FieldError, type ProblemDetails, type ProblemType } from './problem-details.js';

/** A client-facing error that already knows its RFC 9457 body (and, for 503, its Retry-After). */
export class ProblemException extends HttpException {
  constructor(
    readonly problem: ProblemDetails,
    readonly retryAfterSeconds?: number,
  ) {
    super(problem, problem.status);
  }

  static of(
    type: ProblemType,
    detail: string,
    { errors, retryAfterSeconds }: { errors?: readonly FieldError[]; retryAfterSeconds?: number } = {},
  ): ProblemException {
    const problem = { type: problemTypeUri(type.slug), title: type.title, status: type.status, detail };
    return new ProblemException(errors && errors.length > 0 ? { ...problem, errors } : problem, retryAfterSeconds);
  }
}
