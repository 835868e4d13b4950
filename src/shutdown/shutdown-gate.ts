import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/**
 * Closes when the relay starts shutting down (SIGTERM): Nest calls `beforeApplicationShutdown`
 * before it closes the HTTP server, so from that moment readiness fails and new requests are
 * turned away (closing-hooks.ts) while those already in flight finish.
 */
@Injectable()
export class ShutdownGate implements BeforeApplicationShutdown {
  private closed = false;

  get closing(): boolean {
    return this.closed;
  }

  beforeApplicationShutdown(): void {
    this.closed = true;
  }
}
