import { Module, type DynamicModule } from '@nestjs/common';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { PUBLISHER_HEALTH, type PublisherHealth } from '../publishing/event-publisher.js';
import { ShutdownGate } from '../shutdown/shutdown-gate.js';
import { MANAGEMENT_CONTROLLERS } from './management-routes.js';

/** What the management app reads from the relay's app: the same registry, publisher and gate. */
export interface ManagementSources {
  readonly metrics: RelayMetrics;
  readonly publisher: PublisherHealth;
  readonly gate: ShutdownGate;
}

/**
 * The management routes as an app of their own (MANAGEMENT_PORT, management-app.ts). The
 * controllers are the same classes as on PORT; what they inject is the relay app's instances,
 * so a scrape reads the counts the webhooks made and readiness asks the one Kafka publisher.
 * The publisher is wrapped: Nest calls the lifecycle hooks of every provider, and closing this
 * app must not close the publisher a second time.
 */
@Module({})
export class ManagementModule {
  static forRoot({ metrics, publisher, gate }: ManagementSources): DynamicModule {
    const readinessOnly: PublisherHealth = { readiness: () => publisher.readiness() };
    return {
      module: ManagementModule,
      controllers: MANAGEMENT_CONTROLLERS,
      providers: [
        { provide: RelayMetrics, useValue: metrics },
        { provide: PUBLISHER_HEALTH, useValue: readinessOnly },
        // Its one hook (closing) is idempotent, and has run by the time this app closes.
        { provide: ShutdownGate, useValue: gate },
      ],
    };
  }
}
