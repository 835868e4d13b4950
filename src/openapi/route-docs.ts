import { applyDecorators, HttpStatus } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  getSchemaPath,
  type ApiResponseOptions,
} from '@nestjs/swagger';

type HeadersObject = NonNullable<ApiResponseOptions['headers']>;
import { PROBLEM_CONTENT_TYPE } from '../problem/problem-details.js';
import { IncidenceStatusUpdateDto } from '../webhooks/dto/incidence-status-update.dto.js';
import { OrderStatusUpdateDto } from '../webhooks/dto/order-status-update.dto.js';
import { AcceptedModel, DeadLetteredModel, DuplicateModel, ProblemModel } from './openapi-models.js';

type Accepts = 'order' | 'incidence' | 'both';

const BODY_SCHEMA = {
  order: { $ref: getSchemaPath(OrderStatusUpdateDto) },
  incidence: { $ref: getSchemaPath(IncidenceStatusUpdateDto) },
  both: { oneOf: [{ $ref: getSchemaPath(OrderStatusUpdateDto) }, { $ref: getSchemaPath(IncidenceStatusUpdateDto) }] },
};

const RETRY_AFTER: HeadersObject = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };

/** An answer with an RFC 9457 body; a 429 or 503 says when to retry (RFC 9110 §10.2.3). */
export function ApiProblemResponse(status: number, description: string, headers: HeadersObject = {}): MethodDecorator & ClassDecorator {
  const withRetry = status === 429 || status === 503 ? { ...RETRY_AFTER, ...headers } : headers;
  return ApiResponse({
    status,
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemModel) } } },
    ...(Object.keys(withRetry).length > 0 ? { headers: withRetry } : {}),
  });
}

/** What one webhook route accepts and answers (CONTRACT.md §1). */
export function WebhookRouteDocs(accepts: Accepts, summary: string): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(OrderStatusUpdateDto, IncidenceStatusUpdateDto, AcceptedModel, DeadLetteredModel, DuplicateModel, ProblemModel),
    ApiOperation({ summary }),
    ApiHeader({
      name: 'X-Dropea-Hmac-Sha256',
      required: false,
      description:
        'HMAC-SHA256 of the raw body with the account API key, hex or base64 (optionally `sha256=`). ' +
        'Required when DROPEA_SIGNATURE_MODE=required.',
      schema: { type: 'string' },
    }),
    ApiHeader({ name: 'traceparent', required: false, description: 'W3C Trace Context; carried to the Kafka record.', schema: { type: 'string' } }),
    ApiHeader({ name: 'tracestate', required: false, description: 'W3C Trace Context; carried to the Kafka record.', schema: { type: 'string' } }),
    ApiBody({ schema: BODY_SCHEMA[accepts] }),
    ApiAcceptedResponse({
      description:
        'Published to Kafka (acks=all), or spooled to disk on its way there' +
        (accepts === 'both' ? '; or, for an unknown topic, kept on the dead-letter topic.' : '.'),
      schema: accepts === 'both' ? { oneOf: [{ $ref: getSchemaPath(AcceptedModel) }, { $ref: getSchemaPath(DeadLetteredModel) }] } : { $ref: getSchemaPath(AcceptedModel) },
    }),
    ApiOkResponse({ description: 'A duplicate of an event published within DEDUP_TTL_SECONDS; nothing was published.', type: DuplicateModel }),
    ApiProblemResponse(
      HttpStatus.BAD_REQUEST,
      'The body is not UTF-8, not JSON, not a JSON object, repeats a member name, nests deeper than 32 levels, holds `__proto__` or a number beyond a double; or the request is not HTTP.',
    ),
    ApiProblemResponse(HttpStatus.UNAUTHORIZED, 'The signature is missing (required mode), does not match the body, or comes in several headers.'),
    ApiProblemResponse(HttpStatus.REQUEST_TIMEOUT, 'The request did not arrive in full within HTTP_REQUEST_TIMEOUT_MS; the connection is closed.'),
    ApiProblemResponse(
      HttpStatus.PAYLOAD_TOO_LARGE,
      'The body is larger than MAX_BODY_BYTES (`payload-too-large`); or its event is larger than its Kafka topic accepts (`record-too-large`), and the webhook was kept on the dead-letter topic instead.',
    ),
    ApiProblemResponse(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'The body is not `application/json`, or has a Content-Encoding other than identity.', {
      'Accept-Encoding': { description: '`identity` when the Content-Encoding was refused.', schema: { type: 'string' } },
    }),
    ApiProblemResponse(
      HttpStatus.UNPROCESSABLE_ENTITY,
      'The body breaks a field rule (`validation-failed`), or Kafka refused its event as invalid (`record-invalid`); it was kept on the dead-letter topic.',
    ),
    ApiProblemResponse(HttpStatus.TOO_MANY_REQUESTS, 'More than RATE_LIMIT_MAX webhooks from this client in RATE_LIMIT_WINDOW_MS (only when RATE_LIMIT_MAX is set).'),
    ApiProblemResponse(431, 'The request headers exceed 16 KB; the connection is closed.'),
    ApiProblemResponse(
      HttpStatus.SERVICE_UNAVAILABLE,
      'Kafka did not acknowledge in time (`kafka-unavailable`), the topic does not exist or may not be written (`topic-missing`, `topic-not-authorized`, answered at once), or the relay is shutting down; retry after Retry-After.',
    ),
  );
}
