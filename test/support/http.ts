import { createHmac } from 'node:crypto';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

export interface PostOptions {
  readonly headers?: Record<string, string>;
  readonly contentType?: string | null;
}

/** POSTs raw bytes, as Dropea would, and reads the JSON (or problem+json) answer. */
export async function post(url: string, body: Buffer | string, options: PostOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(url, { method: 'POST', body, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** The X-Dropea-Hmac-Sha256 value for a body, in the encoding asked for. */
export function sign(body: Buffer | string, key: string, encoding: 'hex' | 'base64' | 'base64url' = 'hex'): string {
  return createHmac('sha256', key).update(body).digest(encoding);
}
