import type { EnvReader } from './env-reader.js';
import type { HttpConfig } from './http.config.js';

/**
 * Where the routes for the cluster rather than for senders (GET /metrics, /health/live,
 * /health/ready) are served when MANAGEMENT_PORT is set: on a listener of their own, and not on
 * PORT, so an Ingress or a NetworkPolicy that lets webhooks in never lets them in too.
 */
export interface ManagementConfig {
  readonly host: string;
  readonly port: number;
}

/** Undefined when MANAGEMENT_PORT is unset: every route is then on PORT, as without it. */
export function readManagementConfig(env: EnvReader, http: HttpConfig): ManagementConfig | undefined {
  const host = env.optionalString('MANAGEMENT_HOST');
  if (env.raw('MANAGEMENT_PORT') === undefined) {
    // A host alone would change nothing, which is never what whoever set it meant.
    if (host !== undefined) env.fail('MANAGEMENT_HOST', `is set ("${host}") without MANAGEMENT_PORT; set MANAGEMENT_PORT too, or unset it`, undefined);
    return undefined;
  }
  const port = env.int('MANAGEMENT_PORT', 0, { min: 0, max: 65535 });
  // 0 asks the system for a free port, so two zeros are two different ports (the tests use that).
  if (port !== 0 && port === http.port) {
    env.fail('MANAGEMENT_PORT', `must differ from PORT (${http.port}), got "${port}"; unset it to serve everything on PORT`, undefined);
  }
  return { host: host ?? http.host, port };
}
