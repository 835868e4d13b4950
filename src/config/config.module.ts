import { Global, Module, type DynamicModule } from '@nestjs/common';
import { HTTP_CONFIG, KAFKA_CONFIG, WEBHOOKS_CONFIG } from './config.tokens.js';
import type { RelayConfig } from './relay-config.js';

/** Provides each configuration namespace under its own token, so a class asks only for what it uses. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: RelayConfig): DynamicModule {
    const providers = [
      { provide: HTTP_CONFIG, useValue: config.http },
      { provide: WEBHOOKS_CONFIG, useValue: config.webhooks },
      { provide: KAFKA_CONFIG, useValue: config.kafka },
    ];
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
