import { Module } from '@nestjs/common';
import { PublishingModule } from '../publishing/publishing.module.js';
import { HealthController } from './health.controller.js';

@Module({ imports: [PublishingModule], controllers: [HealthController] })
export class HealthModule {}
