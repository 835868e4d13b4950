import { Module } from '@nestjs/common';
import { PublishingModule } from '../publishing/publishing.module.js';
import { MANAGEMENT_CONTROLLERS } from './management-routes.js';

/** The management routes inside the relay's own app, on PORT (MANAGEMENT_PORT unset). */
@Module({ imports: [PublishingModule], controllers: MANAGEMENT_CONTROLLERS })
export class ManagementRoutesModule {}
