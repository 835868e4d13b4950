import type { Provider } from '@nestjs/common';
import { KAFKA_CONFIG } from '../config/config.tokens.js';
import type { KafkaConfig } from '../config/kafka.config.js';
import { envelopeEncoder } from '../envelope/envelope-format.js';

export const ENVELOPE_ENCODER = Symbol('EnvelopeEncoder');

/** ENVELOPE_FORMAT's encoder, resolved once at start (the protobuf one loads its library then). */
export const envelopeEncoderProvider: Provider = {
  provide: ENVELOPE_ENCODER,
  inject: [KAFKA_CONFIG],
  useFactory: (kafka: KafkaConfig) => envelopeEncoder(kafka.envelopeFormat),
};
