import { describe, expect, it } from '@jest/globals';
import { ConfigError } from './env-reader.js';
import { loadRelayConfig } from './relay-config.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadRelayConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('MANAGEMENT_PORT and MANAGEMENT_HOST', () => {
  it('are off by default: every route stays on PORT', () => {
    expect(loadRelayConfig({}).management).toBeUndefined();
    expect(loadRelayConfig({ MANAGEMENT_PORT: '  ' }).management).toBeUndefined();
  });

  it('listen on HOST unless MANAGEMENT_HOST says otherwise', () => {
    expect(loadRelayConfig({ MANAGEMENT_PORT: '9464' }).management).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(loadRelayConfig({ HOST: '127.0.0.1', MANAGEMENT_PORT: '9464' }).management).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadRelayConfig({ HOST: '0.0.0.0', MANAGEMENT_PORT: '9464', MANAGEMENT_HOST: ' 127.0.0.1 ' }).management).toEqual({
      host: '127.0.0.1',
      port: 9464,
    });
  });

  it('take port 0 (a free port) beside PORT=0: two different ports', () => {
    expect(loadRelayConfig({ PORT: '0', MANAGEMENT_PORT: '0' }).management).toEqual({ host: '0.0.0.0', port: 0 });
  });

  it.each(['http', '-1', '65536', '94.64', '0x2000'])('refuse MANAGEMENT_PORT=%s, naming it', (value) => {
    expect(problemsOf({ MANAGEMENT_PORT: value })).toEqual([`MANAGEMENT_PORT must be an integer from 0 to 65535, got "${value}"`]);
  });

  it('refuse the webhook port itself', () => {
    expect(problemsOf({ MANAGEMENT_PORT: '3000' })).toEqual([expect.stringMatching(/^MANAGEMENT_PORT must differ from PORT \(3000\), got "3000"/)]);
    expect(problemsOf({ PORT: '8080', MANAGEMENT_PORT: '8080' })).toEqual([expect.stringMatching(/^MANAGEMENT_PORT must differ from PORT \(8080\)/)]);
    expect(problemsOf({ PORT: '8080', MANAGEMENT_PORT: '3000' })).toEqual([]);
  });

  it('refuse MANAGEMENT_HOST without MANAGEMENT_PORT, which would change nothing', () => {
    expect(problemsOf({ MANAGEMENT_HOST: '127.0.0.1' })).toEqual([
      'MANAGEMENT_HOST is set ("127.0.0.1") without MANAGEMENT_PORT; set MANAGEMENT_PORT too, or unset it',
    ]);
  });

  it('are named beside every other bad variable', () => {
    expect(problemsOf({ PORT: 'http', MANAGEMENT_PORT: 'metrics' })).toEqual([
      'PORT must be an integer from 0 to 65535, got "http"',
      'MANAGEMENT_PORT must be an integer from 0 to 65535, got "metrics"',
    ]);
  });
});
