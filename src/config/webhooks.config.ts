import { listItems, type EnvReader } from './env-reader.js';

/** How `X-Dropea-Hmac-Sha256` is enforced; see CONTRACT.md §1. */
export type SignatureMode = 'required' | 'optional' | 'off';

export interface WebhooksConfig {
  readonly apiKeys: readonly string[];
  readonly signatureMode: SignatureMode;
  readonly ceSource: string;
  readonly dedupTtlSeconds: number;
  readonly dedupMaxEntries: number;
}

export function readWebhooksConfig(env: EnvReader): WebhooksConfig {
  // DROPEA_API_KEYS_FILE: the same keys in a file (a mounted Secret), comma-separated and/or one a line.
  const secret = env.secret('DROPEA_API_KEYS', 'DROPEA_API_KEYS_FILE');
  const apiKeys = listItems(secret?.value ?? '', /[,\r\n]/);
  if (secret?.variable === 'DROPEA_API_KEYS_FILE' && apiKeys.length === 0) {
    env.fail('DROPEA_API_KEYS_FILE', `names ${env.raw('DROPEA_API_KEYS_FILE')}, which holds no key`, undefined);
  }
  // Secure by default: with keys, every webhook must be signed unless `optional` is asked for.
  const defaultMode: SignatureMode = apiKeys.length > 0 ? 'required' : 'off';
  const signatureMode = env.oneOf('DROPEA_SIGNATURE_MODE', ['required', 'optional', 'off'], defaultMode);
  if (signatureMode !== 'off' && apiKeys.length === 0 && env.raw('DROPEA_API_KEYS_FILE') === undefined) {
    env.fail('DROPEA_API_KEYS', `(or DROPEA_API_KEYS_FILE) must hold at least one key when DROPEA_SIGNATURE_MODE=${signatureMode}`, undefined);
  }
  return {
    apiKeys,
    signatureMode,
    ceSource: env.string('CE_SOURCE', 'dropea'),
    dedupTtlSeconds: env.int('DEDUP_TTL_SECONDS', 600, { min: 0, max: 7 * 24 * 3600 }),
    // Each remembered id lives in V8's old space; 20,000 of them keep the relay's peak RSS under
    // 200 MB at 10,000 req/s (docs/benchmarks.md) and cover hours of Dropea's usual traffic.
    dedupMaxEntries: env.int('DEDUP_MAX_ENTRIES', 20_000, { min: 0, max: 10_000_000 }),
  };
}
