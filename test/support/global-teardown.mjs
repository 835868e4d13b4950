import { stopBroker } from './test-broker.mjs';

/** Stops the test broker if this run started it; a broker left running on purpose stays. */
export default async function globalTeardown() {
  if (globalThis.__startedTestBroker) await stopBroker();
}
