// npm run bench [-- options]: the relay's throughput and latency under load, beside the two
// ceilings it cannot beat on this machine (a bare Fastify server, Kafka's own producer), with a
// read-back check that every acknowledged webhook is in Kafka in per-key order.
// See docs/benchmarks.md. Everything it starts, it stops, also on failure and Ctrl-C.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { KafkaBroker, deleteTopics } from './kafka-broker.mjs';
import { measureProducerCeiling } from './kafka-ceiling.mjs';
import { runLoad } from './load.mjs';
import { runOpenLoop } from './open-loop.mjs';
import { machineInfo } from './machine.mjs';
import { parseOptions, usage } from './options.mjs';
import { PayloadSequence } from './payloads.mjs';
import { freePort, killAllNow, runChecked, startProcess, waitForHttp } from './processes.mjs';
import { renderMarkdown, renderText } from './report.mjs';
import { Sampler, bytesToMb, readProcess, round } from './sampler.mjs';
import { AcceptedLog, verifyTopics } from './verify.mjs';

const repoRoot = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const BENCH_KEY = 'bench-signing-key-not-a-secret';
const PRODUCER_PARTITIONS = 6;
const DEFAULT_RECORD_SIZE = 620; // when the read-back (which measures it) is skipped
const MAX_PREPARED = 2_000_000;

const t0 = performance.now();
const say = (message) => process.stderr.write(`bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s: ${message}\n`);

// ---- lifecycle: cleanup in reverse order of setup, on success, failure and signals ----

const controller = new AbortController();
const { signal } = controller;
const cleanups = [];

/** Registers a cleanup; the returned function runs it now (once) instead of at the end. */
function onCleanup(label, action) {
  const entry = { label, action, done: false };
  cleanups.push(entry);
  return async () => runCleanup(entry);
}

async function runCleanup(entry) {
  if (entry.done) return;
  entry.done = true;
  try {
    await entry.action();
  } catch (error) {
    say(`cleanup (${entry.label}) failed: ${error.message}`);
  }
}

async function cleanupAll() {
  for (const entry of [...cleanups].reverse()) await runCleanup(entry);
}

let firstSignalAt = 0;
function onSignal(name) {
  if (!firstSignalAt) {
    firstSignalAt = Date.now();
    say(`${name}: stopping the load and cleaning up (${name} again to force)`);
    controller.abort(new Error(`interrupted (${name})`));
    return;
  }
  // npm forwards the terminal's signal too: ignore a repeat within a second.
  if (Date.now() - firstSignalAt < 1000) return;
  say('forced exit: children killed; a broker started by this run may still be running (npm run kafka:stop with KAFKA_LOCAL_PORT)');
  killAllNow();
  process.exit(130);
}
process.on('SIGINT', onSignal).on('SIGTERM', onSignal);

// ---- plan ----

function buildPlan(options) {
  const phases = options.connections.map((connections) => ({
    name: `${connections} conn`,
    kind: 'connections',
    connections,
    overallRate: null,
    seconds: options.duration,
  }));
  if (options.rate > 0) {
    phases.push({
      name: `${options.rate} req/s`,
      kind: 'rate',
      connections: options.rateConnections,
      overallRate: options.rate,
      seconds: options.rateDuration,
    });
  }
  return phases;
}

function plannedLoadSeconds(options, plan, targets) {
  const perTarget = options.initialWarmup + plan.reduce((sum, phase) => sum + options.warmup + phase.seconds, 0);
  return perTarget * targets.length;
}

function basicIsoStamp(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

// ---- load on one target ----

function summaryLine(target, name, load) {
  const l = load.latencyMs;
  const server = load.resources?.server;
  return (
    `${target} ${name}: ${load.requestsPerSecond} req/s, p50 ${l?.p50} p90 ${l?.p90} p99 ${l?.p99} ms, ` +
    `errors ${load.errors}, non-2xx ${load.non2xxTotal}` +
    (server ? `, server ${server.peakRssMb} MB peak, ${server.cpuPercent} % CPU` : '')
  );
}

/**
 * Adds what the machine spent on processes other than the server, the load generator and the
 * broker (another build or test run would skew the figures), and warns when that is notable.
 */
function describeResources(resources, label) {
  const { machine, ...processes } = resources;
  if (!processes.broker) delete processes.broker;
  if (machine?.cpuPercent !== null && machine?.cpuPercent !== undefined) {
    const ours = Object.values(processes).reduce((sum, p) => sum + (p?.cpuPercent ?? 0), 0);
    processes.machine = { cpuPercent: machine.cpuPercent, otherCpuPercent: round(Math.max(0, machine.cpuPercent - ours), 1) };
    if (label && processes.machine.otherCpuPercent > 15) {
      say(`note: other processes used ${processes.machine.otherCpuPercent} % of a core during ${label}`);
    }
  }
  return processes;
}

/** Pre-signs enough bodies for a phase, from the fastest rate seen so far on this target. */
function prepareFor(payloads, phase, seconds, fastestRate) {
  const wanted = phase.overallRate
    ? Math.ceil(phase.overallRate * (seconds + 2)) // autocannon grants a rate per started second
    : Math.ceil(Math.max(fastestRate * 1.5, 5_000) * seconds);
  payloads.prepare(Math.min(wanted, MAX_PREPARED));
}

async function runPhases({ target, url, serverPid, brokerPid, payloads, onAccepted, plan, options, phases }) {
  const sampler = new Sampler({ server: serverPid, loadgen: 'self', broker: brokerPid, machine: 'system' }).start();
  const common = { url, timeoutSeconds: options.timeout, payloads, onAccepted, signal };
  let fastest = 0;
  try {
    if (options.initialWarmup > 0) {
      const warm = { connections: 64, overallRate: null };
      prepareFor(payloads, warm, options.initialWarmup, fastest);
      const load = await runLoad({ ...common, connections: 64, seconds: options.initialWarmup });
      fastest = Math.max(fastest, load.requestsPerSecond);
      say(`${target} warm-up: ${load.requestsPerSecond} req/s at 64 connections for ${options.initialWarmup} s`);
    }
    for (const [i, phase] of plan.entries()) {
      prepareFor(payloads, phase, options.warmup + phase.seconds, fastest);
      const shape = { connections: phase.connections };
      // The fixed-rate phase is open loop (vegeta); the others are closed loop (autocannon).
      const drive = (seconds) =>
        phase.kind === 'rate'
          ? runOpenLoop({ ...common, rate: phase.overallRate, seconds, say })
          : runLoad({ ...common, ...shape, seconds });
      if (options.warmup > 0) await drive(options.warmup);
      const signedBefore = payloads.signedDuringLoad;
      const window = sampler.window();
      const load = await drive(phase.seconds);
      load.resources = describeResources(window.end(), `${target} ${phase.name}`);
      load.signedDuringLoad = payloads.signedDuringLoad - signedBefore;
      fastest = Math.max(fastest, load.requestsPerSecond);
      phases[i][target] = load;
      say(summaryLine(target, phase.name, load));
    }
  } finally {
    sampler.stop();
    payloads.discardPrepared();
  }
}

// ---- the relay ----

const RELAY_NODE_OPTIONS = '--max-semi-space-size=8';

function relayEnvironment(options, port, broker, topics) {
  return {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    KAFKA_BROKERS: broker.bootstrap,
    KAFKA_CREATE_TOPICS: 'true',
    KAFKA_TOPIC_ORDERS: topics.orders,
    KAFKA_TOPIC_INCIDENCES: topics.incidences,
    KAFKA_TOPIC_DLQ: topics.dlq,
    DROPEA_SIGNATURE_MODE: 'required',
    DROPEA_API_KEYS: BENCH_KEY,
    LOG_LEVEL: 'warn',
    // The container's setting (Dockerfile): a smaller young generation keeps the relay's peak
    // RSS under 200 MB at full load without costing throughput (docs/benchmarks.md, Soak).
    NODE_OPTIONS: RELAY_NODE_OPTIONS,
    ...Object.fromEntries(options.relayEnv),
  };
}

async function startServer(name, args, env) {
  const port = Number(env.PORT);
  const server = startProcess(name, process.execPath, args, { env, cwd: repoRoot });
  const stop = onCleanup(`stop ${name}`, async () => {
    server.stopped = await server.stop();
    if (server.stopped.killed) say(`${name} did not stop within the grace period; killed`);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/health/ready`, { timeoutMs: 90_000, processHandle: server, signal });
  } catch (error) {
    const log = server.log().slice(-30).join('\n');
    throw new Error(`${error.message}${log ? `\n--- ${name} output ---\n${log}` : ''}`);
  }
  return { server, url, stop };
}

async function runSoak({ relay, brokerPid, payloads, accepted, options, result }) {
  const requests = options.soak;
  say(`soak: signing ${Math.min(requests, MAX_PREPARED)} bodies ahead`);
  payloads.prepare(Math.min(requests, MAX_PREPARED));
  const sampler = new Sampler({ server: relay.server.pid, loadgen: 'self', broker: brokerPid, machine: 'system' }).start();
  const rssBefore = readProcess(relay.server.pid)?.rssBytes;
  let completed = 0;
  let nextReport = 10;
  const timeline = [];
  const started = performance.now();
  sampler.onSample((row) => timeline.push({ t: row.t, completed, rssBytes: row.server?.rssBytes ?? null }));
  const window = sampler.window();
  let load;
  try {
    load = await runLoad({
      url: relay.url,
      connections: options.soakConnections,
      amount: requests,
      timeoutSeconds: options.timeout,
      payloads,
      maxSeconds: options.soakMaxSeconds,
      signal,
      onAccepted: (id, seq, sentAt, answeredAt) => accepted.add(id, seq, sentAt, answeredAt),
      onResponse: (count) => {
        completed = count;
        if (count >= (requests * nextReport) / 100) {
          const rss = readProcess(relay.server.pid)?.rssBytes;
          say(`soak ${nextReport} %: ${count} requests, ${round((performance.now() - started) / 1000, 1)} s, relay RSS ${rss ? bytesToMb(rss) : '?'} MB`);
          nextReport += 10;
        }
      },
    });
    load.resources = describeResources(window.end(), 'the soak');
  } finally {
    sampler.stop();
    payloads.discardPrepared();
  }
  await sleep(2000);
  const rssAfter = readProcess(relay.server.pid)?.rssBytes;
  const progress = [];
  for (let percent = 10; percent <= 100; percent += 10) {
    const point = timeline.find((row) => row.completed >= (requests * percent) / 100 && row.rssBytes !== null);
    if (point) progress.push({ percent, completed: point.completed, seconds: round((point.t - started) / 1000, 1), rssMb: bytesToMb(point.rssBytes) });
  }
  result.soak = {
    requests,
    connections: options.soakConnections,
    load,
    resources: load.resources,
    rssBeforeMb: rssBefore ? bytesToMb(rssBefore) : null,
    rssAfterMb: rssAfter ? bytesToMb(rssAfter) : null,
    progress,
    timeline: timeline.filter((_, i) => i % 4 === 0).map((row) => ({ seconds: round((row.t - started) / 1000, 2), completed: row.completed, rssMb: row.rssBytes ? bytesToMb(row.rssBytes) : null })),
  };
}

// ---- main ----

async function main() {
  let options;
  try {
    options = parseOptions();
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\n(npm run bench -- --help lists the options)\n`);
    return 64;
  }
  if (options.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const startedAt = new Date();
  const loadAverage = loadavg();
  const stamp = basicIsoStamp(startedAt);
  const runId = `${stamp.toLowerCase()}-${randomBytes(2).toString('hex')}`;
  const soakMode = options.soak > 0;
  const targets = soakMode ? ['relay'] : options.targets;
  const plan = soakMode ? [] : buildPlan(options);
  const useRelay = targets.includes('relay');
  const useProducerPerf = !soakMode && options.producerRecords > 0;
  const useKafka = useRelay || useProducerPerf;
  const resultsDir = isAbsolute(options.resultsDir) ? options.resultsDir : join(repoRoot, options.resultsDir);
  const resultFile = join(resultsDir, `${stamp}.json`);
  const topics = {
    orders: `bench.${runId}.orders`,
    incidences: `bench.${runId}.incidences`,
    dlq: `bench.${runId}.dlq`,
    producer: `bench.${runId}.producer-perf`,
  };
  const phases = plan.map((phase) => ({ ...phase, warmupSeconds: options.warmup, relay: null, ceiling: null, ratio: null }));
  const result = {
    runId,
    startedAt: startedAt.toISOString(),
    command: ['npm', 'run', 'bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    options,
    mode: soakMode ? 'soak' : 'phases',
    targets,
    topics,
    phases,
  };
  let failed = false;

  // Bounded in time whatever happens: the planned load plus generous room for the rest.
  const budgetSeconds = soakMode ? options.soakMaxSeconds + 600 : plannedLoadSeconds(options, plan, targets) + 300;
  const budget = setTimeout(() => controller.abort(new Error(`time budget of ${budgetSeconds} s exceeded`)), budgetSeconds * 1000);
  budget.unref();

  const broker = new KafkaBroker({ repoRoot, port: options.kafkaPort, controllerPort: options.kafkaControllerPort });
  try {
    // 1. The broker and the build, side by side.
    let stopBroker = async () => {};
    if (useKafka) {
      stopBroker = onCleanup('stop the broker', async () => {
        if (await broker.stopIfStartedHere()) say(`stopped the broker on ${broker.bootstrap}`);
      });
    }
    await Promise.all([
      useKafka &&
        broker.ensure({ signal }).then(({ reused, output }) => say(reused ? `reusing the broker on ${broker.bootstrap}` : output.split('\n').pop())),
      useRelay &&
        !options.skipBuild &&
        runChecked('npm', ['run', 'build'], { cwd: repoRoot, timeoutMs: 300_000, signal }).then(() => say('built dist/')),
    ]);
    const settings = useKafka ? await broker.loadSettings() : undefined;
    result.machine = machineInfo(repoRoot, { java: settings?.java ?? 'java', kafkaVersion: settings?.version, loadAverage });
    result.broker = useKafka ? { bootstrap: broker.bootstrap, startedByBench: broker.startedHere } : null;
    const brokerPid = useKafka ? broker.pid() : undefined;
    let deleteRunTopics = async () => {};
    if (useKafka && !options.keepTopics) {
      deleteRunTopics = onCleanup('delete the run\'s topics', async () => {
        const deleted = await deleteTopics(broker.bootstrap, Object.values(topics));
        if (deleted.length > 0) say(`deleted ${deleted.length} topics`);
      });
    }
    result.payloads = {};

    // 2. The relay, as production runs it.
    if (useRelay) {
      signal.throwIfAborted();
      const accepted = new AcceptedLog();
      const payloads = new PayloadSequence({ key: BENCH_KEY, entities: options.entities, incidenceShare: options.incidenceShare });
      const port = await freePort();
      const relay = await startServer('relay', [join(repoRoot, 'dist', 'main.js')], relayEnvironment(options, port, broker, topics));
      say(`relay ready on ${relay.url} (pid ${relay.server.pid}), topics bench.${runId}.*`);
      const onAccepted = (id, seq, sentAt, answeredAt) => accepted.add(id, seq, sentAt, answeredAt);
      try {
        if (soakMode) {
          await runSoak({ relay, brokerPid, payloads, accepted, options, result });
        } else {
          await runPhases({ target: 'relay', url: relay.url, serverPid: relay.server.pid, brokerPid, payloads, onAccepted, plan, options, phases });
        }
      } finally {
        await relay.stop();
        const exit = relay.server.stopped;
        result.relay = { exit: exit ? { code: exit.code, signal: exit.signal, killed: exit.killed } : null, log: relay.server.log().slice(-40) };
        if (exit?.code !== 0) {
          failed = true;
          say(`relay exit after SIGTERM: ${JSON.stringify(exit)}`);
        }
        if (result.relay.log.length > 0) say(`relay printed ${result.relay.log.length} line(s) at LOG_LEVEL=warn (kept in the result file)`);
        result.payloads.relay = payloads.stats();
      }

      if (!options.skipVerify) {
        signal.throwIfAborted();
        say(`reading ${accepted.size} acknowledged events back from Kafka`);
        result.verification = await verifyTopics({
          bootstrap: broker.bootstrap,
          topics: { orders: topics.orders, incidences: topics.incidences, dlq: topics.dlq },
          accepted,
          describe: (seq) => payloads.describe(seq),
          timeoutMs: 120_000 + Math.ceil(accepted.size / 2),
          groupId: `bench-verify-${runId}`,
        });
        if (!result.verification.ok) failed = true;
        const v = result.verification;
        say(`read back ${v.recordsRead} records in ${v.seconds} s: ${v.found} of ${v.accepted} found, ${v.missing} missing, ${v.orderViolations} order violations`);
      }
    }

    // 3. Kafka's own producer ceiling, records the size of a relay envelope.
    if (useProducerPerf) {
      signal.throwIfAborted();
      const recordSize = result.verification?.valueBytes?.mean ?? DEFAULT_RECORD_SIZE;
      say(`ProducerPerformance: ${options.producerRecords} records of ${recordSize} bytes`);
      result.producerPerformance = await measureProducerCeiling(broker, {
        topic: topics.producer,
        partitions: PRODUCER_PARTITIONS,
        records: options.producerRecords,
        warmupRecords: Math.min(options.producerWarmupRecords, options.producerRecords - 1),
        recordSize,
        signal,
      });
      say(result.producerPerformance.total.line);
    }

    // The broker is not needed any more: let it go before the HTTP ceiling runs.
    await deleteRunTopics();
    await stopBroker();

    // 4. The HTTP ceiling, same phases, same payloads.
    if (targets.includes('ceiling') && !soakMode) {
      signal.throwIfAborted();
      const payloads = new PayloadSequence({ key: BENCH_KEY, entities: options.entities, incidenceShare: options.incidenceShare });
      const port = await freePort();
      const ceiling = await startServer('http ceiling', [join(repoRoot, 'bench', 'ceiling-server.mjs')], { ...process.env, PORT: String(port), HOST: '127.0.0.1' });
      say(`http ceiling ready on ${ceiling.url} (pid ${ceiling.server.pid})`);
      try {
        await runPhases({ target: 'ceiling', url: ceiling.url, serverPid: ceiling.server.pid, payloads, onAccepted: () => {}, plan, options, phases });
      } finally {
        await ceiling.stop();
        result.payloads.ceiling = payloads.stats();
      }
    }
    for (const phase of phases) {
      if (phase.relay && phase.ceiling?.requestsPerSecond) phase.ratio = round(phase.relay.requestsPerSecond / phase.ceiling.requestsPerSecond, 3);
    }
  } catch (error) {
    failed = true;
    result.aborted = error.message;
    say(signal.aborted ? `stopped: ${signal.reason?.message ?? error.message}` : `failed: ${error.stack ?? error.message}`);
  } finally {
    await cleanupAll();
    clearTimeout(budget);
  }

  const finishedAt = new Date();
  result.finishedAt = finishedAt.toISOString();
  result.durationSeconds = round((finishedAt - startedAt) / 1000, 1);
  const measured = phases.some((phase) => phase.relay || phase.ceiling) || result.soak || result.producerPerformance;
  if (measured) {
    result.markdown = renderMarkdown(result);
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\n${renderText(result)}\n\nMarkdown (docs/benchmarks.md):\n\n${result.markdown}\n\n`);
    process.stdout.write(`Result: ${relative(process.cwd(), resultFile) || resultFile}; whole run ${result.durationSeconds} s\n`);
  }
  if (signal.aborted && firstSignalAt) return 130;
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    say(error.stack ?? String(error));
    killAllNow();
    process.exit(1);
  },
);
