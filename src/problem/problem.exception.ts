import { HttpException } from '@nestjs/common';
import { problemTypeUri, type FieldError, type ProblemDetails, type ProblemType } from './problem-details.js';

export interface ProblemOptions {
  readonly errors?: readonly FieldError[];
  /** Retry-After (RFC 9110 §10.2.3), for 429 and 503. */
  readonly retryAfterSeconds?: number;
  /** Other response headers the status calls for (Accept-Encoding with a 415, say). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A client-facing error that already knows its RFC 9457 body and the headers that go with it. */
export class ProblemException extends HttpException {
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly problem: ProblemDetails,
    { retryAfterSeconds, headers = {} }: Omit<ProblemOptions, 'errors'> = {},
  ) {
    super(problem, problem.status);
    this.headers = retryAfterSeconds === undefined ? headers : { ...headers, 'retry-after': String(retryAfterSeconds) };
  }

  static of(type: ProblemType, detail: string, { errors, ...options }: ProblemOptions = {}): ProblemException {
    return new ProblemException(problemOf(type, detail, errors), options);
  }
}

/** The problem document of a type; `errors` only when there are some. */
export function problemOf(type: ProblemType, detail: string, errors?: readonly FieldError[]): ProblemDetails {
  const problem = { type: problemTypeUri(type.slug), title: type.title, status: type.status, detail };
  return errors && errors.length > 0 ? { ...problem, errors } : problem;
}
