import { connect } from 'node:net';

/** What came back on one connection: the first response, and when the server closed it. */
export interface RawExchange {
  /** The first response's status; undefined when the server closed without answering. */
  readonly status: number | undefined;
  /** Its headers, names in lower case (repeated ones joined with ", "). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Milliseconds from connecting to the first response's last byte. */
  readonly answeredAfterMs: number | undefined;
  /** Milliseconds from connecting to the server closing the connection; undefined when it stayed open. */
  readonly closedAfterMs: number | undefined;
}

export interface RawOptions {
  /** Pause before each piece after the first: how a slow client drips its request. */
  readonly gapMs?: number;
  /** How long to wait for the server to close the connection before closing it ourselves. */
  readonly timeoutMs?: number;
}

/**
 * Speaks HTTP/1.1 by hand, for what fetch will not send: repeated headers, chunked bodies cut
 * anywhere, a request that never completes, a connection that stays silent.
 */
export function rawExchange(url: string, pieces: readonly (string | Buffer)[], { gapMs = 0, timeoutMs = 10_000 }: RawOptions = {}): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let answeredAfterMs: number | undefined;
    let closedAfterMs: number | undefined;
    const timers: NodeJS.Timeout[] = [];
    const elapsed = (): number => Math.round(performance.now() - started);

    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (answeredAfterMs === undefined && parse(received).complete) answeredAfterMs = elapsed();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closedAfterMs ??= elapsed();
      for (const timer of timers) clearTimeout(timer);
      const { status, headers, body } = parse(received);
      resolve({ status, headers, body, answeredAfterMs, closedAfterMs: closedAfterMs === -1 ? undefined : closedAfterMs });
    });
    pieces.forEach((piece, i) => {
      timers.push(setTimeout(() => socket.writable && socket.write(piece), i * gapMs));
    });
    timers.push(
      setTimeout(() => {
        closedAfterMs = -1;
        socket.destroy();
      }, timeoutMs),
    );
  });
}

function parse(bytes: Buffer): { status: number | undefined; headers: Record<string, string>; body: string; complete: boolean } {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { status: undefined, headers: {}, body: '', complete: false };
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = bytes.subarray(end + 4, end + 4 + length);
  return { status: Number(statusLine?.split(' ')[1]), headers, body: body.toString('utf8'), complete: body.length >= length };
}
