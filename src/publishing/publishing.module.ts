import { Module } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { HTTP_CONFIG, KAFKA_CONFIG } from '../config/config.tokens.js';
import type { HttpConfig } from '../config/http.config.js';
import type { KafkaConfig } from '../config/kafka.config.js';
import { envelopeEncoderProvider } from './envelope-encoder.provider.js';
import { EVENT_PUBLISHER, PUBLISHER_HEALTH } from './event-publisher.js';
import { KAFKA_CLIENT, kafkaClientOptions } from './kafka-client.options.js';
import { KafkaEventPublisher } from './kafka-event-publisher.js';

/** The only module that knows Kafka exists; the rest of the app sees the two ports. */
@Module({
  imports: [
    ClientsModule.registerAsync([
      {
        name: KAFKA_CLIENT,
        inject: [KAFKA_CONFIG, HTTP_CONFIG],
        useFactory: (kafka: KafkaConfig, http: HttpConfig) => kafkaClientOptions(kafka, http.logLevel),
      },
    ]),
  ],
  providers: [
    envelopeEncoderProvider,
    KafkaEventPublisher,
    { provide: EVENT_PUBLISHER, useExisting: KafkaEventPublisher },
    { provide: PUBLISHER_HEALTH, useExisting: KafkaEventPublisher },
  ],
  exports: [EVENT_PUBLISHER, PUBLISHER_HEALTH],
})
export class PublishingModule {}
