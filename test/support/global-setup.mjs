import { brokerIsUp, startBroker } from './test-broker.mjs';

/** Starts the test broker once for the whole run, unless one is already serving. */
export default async function globalSetup() {
  const wasUp = await brokerIsUp();
  if (!wasUp) await startBroker();
  globalThis.__startedTestBroker = !wasUp;
}
