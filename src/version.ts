import { createRequire } from 'node:module';

/**
 * The relay's version: package.json's, the one semver of a release (CHANGELOG.md). The OpenAPI
 * and AsyncAPI documents, the image's labels and the `dropea_relay_build_info` metric give this
 * same string; tests hold them to it. Read at run time, from dist/ or src/ alike.
 */
export const RELAY_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
