import { describe, expect, it } from '@jest/globals';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { createRequire } from 'node:module';
import { classifyKafkaError } from './kafka-failure.js';

// The errors kafkajs makes of a broker's error codes (https://kafka.apache.org/protocol#protocol_error_codes).
const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error };

describe('classifyKafkaError', () => {
  it.each([
    [10, 'record', 'record_too_large'],
    [18, 'record', 'record_too_large'],
    [87, 'record', 'record_invalid'],
    [2, 'record', 'record_invalid'],
    [32, 'record', 'record_invalid'],
    [3, 'topic', 'topic_missing'],
    [17, 'topic', 'topic_missing'],
    [29, 'topic', 'topic_not_authorized'],
  ])('sorts error code %i as a %s refusal (%s)', (code, kind, reason) => {
    expect(classifyKafkaError(createErrorFromCode(code))).toMatchObject({ kind, reason });
  });

  it.each([
    ['NOT_LEADER_FOR_PARTITION', createErrorFromCode(6)],
    ['REQUEST_TIMED_OUT', createErrorFromCode(7)],
    ['NOT_ENOUGH_REPLICAS', createErrorFromCode(19)],
    ['a lost connection', new KafkaJSConnectionError('Connection error: ECONNREFUSED')],
    ['anything else', new Error('boom')],
  ])('takes %s for a passing failure', (_name, error) => {
    expect(classifyKafkaError(error)).toMatchObject({ kind: 'transient' });
  });

  it('finds the code under the wrappers of kafkajs’s retrier', () => {
    const exhausted = new KafkaJSNumberOfRetriesExceeded(createErrorFromCode(3), { retryCount: 10, retryTime: 1000 });
    expect(classifyKafkaError(exhausted)).toMatchObject({ kind: 'topic', reason: 'topic_missing', code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const bailed = new KafkaJSNonRetriableError(createErrorFromCode(10));
    (bailed as { cause?: unknown }).cause = createErrorFromCode(10);
    expect(classifyKafkaError(bailed)).toMatchObject({ kind: 'record', reason: 'record_too_large' });
  });
});
