import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { ConfigModule } from './config/config.module.js';
import type { RelayConfig } from './config/relay-config.js';
import { loggingModule } from './logging/logging.module.js';
import { ManagementRoutesModule } from './management/management-routes.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ShutdownModule } from './shutdown/shutdown.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

@Module({})
export class AppModule {
  /**
   * The configuration is loaded and validated before the module graph is built (see main.ts).
   * With MANAGEMENT_PORT the probes and /metrics are another app's (management/management-app.ts).
   */
  static forRoot(config: RelayConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggingModule(logger),
        MetricsModule,
        ShutdownModule,
        WebhooksModule,
        ...(config.management === undefined ? [ManagementRoutesModule] : []),
      ],
    };
  }
}
