import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { loadRelayConfig } from '../../config/relay-config.js';
import { createApp } from '../../configure-app.js';
import { buildOpenApiDocument, formatDocument } from '../../openapi/openapi-document.js';
import { EXIT_USAGE } from '../cli-io.js';

const USAGE = `Usage: npm run openapi
       node dist/cli/openapi/main.js <file>

Writes the relay's OpenAPI document, the one it serves at /docs-json, to <file>
(npm run openapi writes docs/openapi.json). Nothing connects to Kafka.
`;

async function main(file: string | undefined): Promise<number> {
  if (file === undefined || file === '-h' || file === '--help') {
    process.stdout.write(USAGE);
    return file === undefined ? EXIT_USAGE : 0;
  }
  const app = await createApp(loadRelayConfig({ LOG_LEVEL: 'error' }));
  try {
    await writeFile(file, formatDocument(buildOpenApiDocument(app)));
  } finally {
    await app.close();
  }
  return 0;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`openapi: ${String(error)}\n`);
    process.exit(1);
  },
);
