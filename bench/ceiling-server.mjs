// The HTTP ceiling: a bare Fastify server on the same Fastify the relay runs on (the version
// @nestjs/platform-fastify depends on), reading the body the way the relay does (one
// content-type parser for application/json that hands over the raw bytes) and answering 202
// with a small JSON. No Nest, no signature, no validation, no Kafka: what is left of the
// relay's cost once all of its own work is taken away.
//
//   PORT=3333 HOST=127.0.0.1 node bench/ceiling-server.mjs
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Fastify = createRequire(require.resolve('@nestjs/platform-fastify/package.json'))('fastify');

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;
const port = Number(process.env.PORT ?? 3333);
const host = process.env.HOST ?? '127.0.0.1';
const bodyLimit = Number(process.env.MAX_BODY_BYTES ?? 65536);

const app = Fastify({ bodyLimit, logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

const accept = (topic) => async (_request, reply) => {
  reply.code(202);
  return { status: 'published', id: randomUUID(), topic };
};
app.post('/webhooks/dropea/orders', accept('dropea.order.status.v1'));
app.post('/webhooks/dropea/incidences', accept('dropea.incidence.status.v1'));
app.post('/webhooks/dropea', accept('dropea.order.status.v1'));
app.get('/health/ready', async () => ({ status: 'ok' }));

const close = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', close).once('SIGINT', close);

await app.listen({ port, host });
process.stdout.write(`http ceiling listening on http://${host}:${port} (fastify ${app.version})\n`);
