// npm run bench [-- options]: the relay's throughput and latency under load, beside a reference
// relay (bench/reference-relay.mjs: bare Fastify + kafkajs doing the least the relay must do, the
// yardstick for the relay's own overhead) and the two ceilings neither can beat on this machine
// (a bare Fastify server, Kafka's own producer). The relay and the reference run --rounds times
// each, alternated (relay, reference, relay, ...), every round a fresh process; the table shows
// the medians of the rounds and the result file keeps every round. Afterwards it reads the
// topics of both back and checks that every acknowledged webhook of every round is in Kafka, in
// per-key order. See docs/benchmarks.md. Everything it starts, it stops, also on failure and
// Ctrl-C.
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
import { Segments, combineRounds } from './rounds.mjs';
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
// kafkajs 2.2.4 (the read-back's consumer) arms a negative timer when idle; Node 24 warns of it,
// harmlessly (src/logging/process-warnings.ts). Other warnings are printed.
process.removeAllListeners('warning').on('warning', (warning) => {
  if (warning.name !== 'TimeoutNegativeWarning') say(`${warning.name}: ${warning.message}`);
});

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

/** Seconds of load: each target's warm-up and phases, once per round (the ceiling runs once). */
function plannedLoadSeconds(options, plan, targets) {
  const perRun = options.initialWarmup + plan.reduce((sum, phase) => sum + options.warmup + phase.seconds, 0);
  return perRun * serverRuns(options, targets);
}

/** How many times a server is started and loaded: relay and reference once per round, the ceiling once. */
function serverRuns(options, targets) {
  return targets.filter((target) => target !== 'ceiling').length * options.rounds + (targets.includes('ceiling') ? 1 : 0);
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

/**
 * Pre-signs enough bodies for a phase, from the fastest rate seen so far on this target. The
 * floor covers a first round, whose only rate is that of a 2 s warm-up on a cold process (on
 * 2026-12-07 the reference's first round ran at twice its warm-up's rate and signed 34,000
 * bodies during its measured load with a floor of 5,000/s).
 */
function prepareFor(payloads, phase, seconds, fastestRate) {
  const wanted = phase.overallRate
    ? Math.ceil(phase.overallRate * (seconds + 2)) // autocannon grants a rate per started second
    : Math.ceil(Math.max(fastestRate * 1.5, 20_000) * seconds);
  payloads.prepare(Math.min(wanted, MAX_PREPARED));
}

/**
 * The warm-up and every phase of the plan on one server process: one load per phase. The
 * request numbers each measured phase used go into `segments` under `segmentKey(i)`.
 */
async function runPhases({ label, url, serverPid, brokerPid, payloads, onAccepted, plan, options, segments, segmentKey, fastestBefore = 0 }) {
  const sampler = new Sampler({ server: serverPid, loadgen: 'self', broker: brokerPid, machine: 'system' }).start();
  const common = { url, timeoutSeconds: options.timeout, payloads, onAccepted, signal };
  const loads = [];
  let fastest = fastestBefore; // the fastest req/s of this target's earlier rounds, if any
  try {
    if (options.initialWarmup > 0) {
      const warm = { connections: 64, overallRate: null };
      prepareFor(payloads, warm, options.initialWarmup, fastest);
      const load = await runLoad({ ...common, connections: 64, seconds: options.initialWarmup });
      fastest = Math.max(fastest, load.requestsPerSecond);
      say(`${label} warm-up: ${load.requestsPerSecond} req/s at 64 connections for ${options.initialWarmup} s`);
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
      const firstSeq = payloads.nextSeq;
      const window = sampler.window();
      const load = await drive(phase.seconds);
      load.resources = describeResources(window.end(), `${label} ${phase.name}`);
      load.signedDuringLoad = payloads.signedDuringLoad - signedBefore;
      segments?.add(segmentKey(i), firstSeq, payloads.nextSeq);
      fastest = Math.max(fastest, load.requestsPerSecond);
      loads.push(load);
      say(summaryLine(label, phase.name, load));
    }
  } finally {
    sampler.stop();
    payloads.discardPrepared();
  }
  return loads;
}

// ---- the relay ----

const RELAY_NODE_OPTIONS = '--max-semi-space-size=8 --max-old-space-size=256';
const RELAY_GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=16384';

/**
 * The container's runtime settings (Dockerfile): V8's heap bounds, and glibc's allocator
 * returning blocks of 16 KB and more to the system (docs/benchmarks.md, Memory); --relay-env
 * overrides them, and every other variable it sets.
 */
function runtimeSettings(options) {
  return { NODE_OPTIONS: RELAY_NODE_OPTIONS, GLIBC_TUNABLES: RELAY_GLIBC_TUNABLES, ...Object.fromEntries(options.relayEnv) };
}

/** Topics of one target: each has its own, shared by its rounds. */
function targetTopics(runId, target) {
  const prefix = target === 'relay' ? `bench.${runId}` : `bench.${runId}.${target}`;
  return target === 'relay'
    ? { orders: `${prefix}.orders`, incidences: `${prefix}.incidences`, dlq: `${prefix}.dlq` }
    : { orders: `${prefix}.orders`, incidences: `${prefix}.incidences` }; // the reference has no dead letters
}

/**
 * The environment of the relay, and of the reference relay, which reads the same variables
 * (those it has a use for) and runs with the same NODE_OPTIONS: --relay-env reaches both.
 */
function relayEnvironment(options, port, broker, topics) {
  return {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    KAFKA_BROKERS: broker.bootstrap,
    KAFKA_CREATE_TOPICS: 'true',
    KAFKA_TOPIC_ORDERS: topics.orders,
    KAFKA_TOPIC_INCIDENCES: topics.incidences,
    ...(topics.dlq ? { KAFKA_TOPIC_DLQ: topics.dlq } : {}),
    DROPEA_SIGNATURE_MODE: 'required',
    DROPEA_API_KEYS: BENCH_KEY,
    LOG_LEVEL: 'warn',
    ...runtimeSettings(options),
  };
}

const SERVER_SCRIPTS = {
  relay: ['dist', 'main.js'],
  reference: ['bench', 'reference-relay.mjs'],
};
const TARGET_NAMES = { relay: 'relay', reference: 'reference', ceiling: 'http ceiling' };

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

/** Stops a server of a round and records how it ended (exit 0 expected of the relay and the reference). */
async function stopServer(handle, record, name) {
  await handle.stop();
  const exit = handle.server.stopped;
  record.exit = exit ? { code: exit.code, signal: exit.signal, killed: exit.killed } : null;
  record.log = handle.server.log().slice(-40);
  if (record.log.length > 0 && name !== 'http ceiling') say(`${name} printed ${record.log.length} line(s) (kept in the result file)`);
  return exit?.code === 0;
}

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
  const kafkaTargets = targets.filter((target) => target === 'relay' || target === 'reference');
  const rounds = soakMode ? 1 : options.rounds;
  const useRelay = targets.includes('relay');
  const useProducerPerf = !soakMode && options.producerRecords > 0;
  const useKafka = kafkaTargets.length > 0 || useProducerPerf;
  const resultsDir = isAbsolute(options.resultsDir) ? options.resultsDir : join(repoRoot, options.resultsDir);
  const resultFile = join(resultsDir, `${stamp}.json`);
  const topics = Object.fromEntries(kafkaTargets.map((target) => [target, targetTopics(runId, target)]));
  if (useProducerPerf) topics.producer = `bench.${runId}.producer-perf`;
  const allTopics = Object.values(topics).flatMap((entry) => (typeof entry === 'string' ? [entry] : Object.values(entry)));
  const phases = plan.map((phase) => ({
    ...phase,
    warmupSeconds: options.warmup,
    relay: null,
    reference: null,
    ceiling: null,
    ratio: null,
    referenceRatio: null,
    rounds: {},
  }));
  const result = {
    runId,
    startedAt: startedAt.toISOString(),
    command: ['npm', 'run', 'bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    options,
    mode: soakMode ? 'soak' : 'phases',
    targets,
    rounds,
    topics,
    // The servers run on the bench's own node (process.execPath), with these NODE_OPTIONS and
    // GLIBC_TUNABLES.
    serverRuntime: {
      node: process.version,
      execPath: process.execPath,
      nodeOptions: runtimeSettings(options).NODE_OPTIONS,
      glibcTunables: runtimeSettings(options).GLIBC_TUNABLES,
    },
    phases,
    servers: {},
    verification: {},
    payloads: {},
  };
  let failed = false;

  // Bounded in time whatever happens: the planned load plus generous room for the rest (server
  // starts, the build, the broker, each read-back, ProducerPerformance).
  const budgetSeconds = soakMode
    ? options.soakMaxSeconds + 600
    : plannedLoadSeconds(options, plan, targets) + 300 + 30 * serverRuns(options, targets) + 120 * Math.max(0, kafkaTargets.length - 1);
  const budget = setTimeout(() => controller.abort(new Error(`time budget of ${budgetSeconds} s exceeded`)), budgetSeconds * 1000);
  budget.unref();

  // Per relay target, across its rounds: what was acknowledged, the requests, which request
  // numbers each measured phase used, and the loads (per round, one per phase).
  const state = Object.fromEntries(
    kafkaTargets.map((target) => [
      target,
      {
        accepted: new AcceptedLog(),
        payloads: new PayloadSequence({ key: BENCH_KEY, entities: options.entities, incidenceShare: options.incidenceShare }),
        segments: new Segments(),
        loads: [], // per round, one load per phase
      },
    ]),
  );

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
        const deleted = await deleteTopics(broker.bootstrap, allTopics);
        if (deleted.length > 0) say(`deleted ${deleted.length} topics`);
      });
    }

    // 2. The relay, as production runs it, and the reference relay: `rounds` fresh processes
    //    each, alternated (state, above: one payload sequence and one set of topics per target,
    //    so request numbers, and the k of each entity, keep growing from round to round).
    for (const target of kafkaTargets) result.servers[target] = [];
    for (let r = 0; r < rounds; r++) {
      for (const target of kafkaTargets) {
        signal.throwIfAborted();
        const { accepted, payloads, segments, loads } = state[target];
        const name = TARGET_NAMES[target];
        const label = rounds > 1 ? `${name} (round ${r + 1}/${rounds})` : name;
        const port = await freePort();
        const handle = await startServer(name, [join(repoRoot, ...SERVER_SCRIPTS[target])], relayEnvironment(options, port, broker, topics[target]));
        say(`${label} ready on ${handle.url} (pid ${handle.server.pid}), topics ${topics[target].orders.replace(/\.orders$/, '.*')}`);
        const record = { round: r + 1, pid: handle.server.pid };
        result.servers[target].push(record);
        const onAccepted = (id, seq, sentAt, answeredAt) => accepted.add(id, seq, sentAt, answeredAt);
        try {
          if (soakMode) {
            await runSoak({ relay: handle, brokerPid, payloads, accepted, options, result });
          } else {
            const segmentKey = (i) => `${r}/${i}`;
            const fastestBefore = Math.max(0, ...loads.flat().map((load) => load?.requestsPerSecond ?? 0));
            loads[r] = await runPhases({ label, url: handle.url, serverPid: handle.server.pid, brokerPid, payloads, onAccepted, plan, options, segments, segmentKey, fastestBefore });
          }
        } finally {
          if (!(await stopServer(handle, record, label))) {
            failed = true;
            say(`${label} exit after SIGTERM: ${JSON.stringify(record.exit)}`);
          }
        }
      }
    }
    for (const target of kafkaTargets) result.payloads[target] = state[target].payloads.stats();

    // 3. Read every target's topics back: each acknowledged webhook of each round.
    if (!options.skipVerify) {
      for (const target of kafkaTargets) {
        signal.throwIfAborted();
        const { accepted, payloads, segments } = state[target];
        say(`reading ${accepted.size} acknowledged events of the ${TARGET_NAMES[target]} back from Kafka`);
        let verification;
        try {
          verification = await verifyTopics({
            bootstrap: broker.bootstrap,
            topics: topics[target],
            accepted,
            describe: (seq) => payloads.describe(seq),
            timeoutMs: 120_000 + Math.ceil(accepted.size / 2),
            groupId: `bench-verify-${runId}-${target}`,
            groupOf: (seq) => segments.labelOf(seq),
          });
        } catch (error) {
          if (signal.aborted) throw error;
          verification = { ok: false, error: error.message };
        }
        result.verification[target] = verification;
        if (!verification.ok) failed = true;
        const v = verification;
        say(
          v.error
            ? `read-back of the ${TARGET_NAMES[target]} failed: ${v.error}`
            : `${TARGET_NAMES[target]}: read back ${v.recordsRead} records in ${v.seconds} s: ${v.found} of ${v.accepted} found, ${v.missing} missing, ${v.orderViolations} order violations`,
        );
      }
    }

    // 4. Kafka's own producer ceiling, records the size of a relay envelope.
    if (useProducerPerf) {
      signal.throwIfAborted();
      const recordSize = result.verification.relay?.valueBytes?.mean ?? result.verification.reference?.valueBytes?.mean ?? DEFAULT_RECORD_SIZE;
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

    // 5. The HTTP ceiling, same phases, same payloads; once.
    if (targets.includes('ceiling') && !soakMode) {
      signal.throwIfAborted();
      const payloads = new PayloadSequence({ key: BENCH_KEY, entities: options.entities, incidenceShare: options.incidenceShare });
      const port = await freePort();
      const ceiling = await startServer('http ceiling', [join(repoRoot, 'bench', 'ceiling-server.mjs')], { ...process.env, PORT: String(port), HOST: '127.0.0.1' });
      say(`http ceiling ready on ${ceiling.url} (pid ${ceiling.server.pid})`);
      const record = { round: 1, pid: ceiling.server.pid };
      result.servers.ceiling = [record];
      try {
        const loads = await runPhases({ label: 'http ceiling', url: ceiling.url, serverPid: ceiling.server.pid, payloads, onAccepted: () => {}, plan, options });
        for (const [i, phase] of phases.entries()) phase.rounds.ceiling = [loads[i] ?? null];
      } finally {
        await stopServer(ceiling, record, 'http ceiling');
        result.payloads.ceiling = payloads.stats();
      }
    }
  } catch (error) {
    failed = true;
    result.aborted = error.message;
    say(signal.aborted ? `stopped: ${signal.reason?.message ?? error.message}` : `failed: ${error.stack ?? error.message}`);
  } finally {
    await cleanupAll();
    clearTimeout(budget);
  }

  // The rounds' loads, and what each phase's measured window lost, per target.
  for (const target of kafkaTargets) {
    const byGroup = result.verification[target]?.byGroup;
    for (const [i, phase] of phases.entries()) {
      phase.rounds[target] = state[target].loads.map((loads, r) => {
        const load = loads?.[i];
        if (load && byGroup) {
          const group = byGroup[`${r}/${i}`] ?? { accepted: 0, missing: 0 };
          load.readBack = { accepted: group.accepted, lost: group.missing };
        }
        return load ?? null;
      });
    }
  }

  // Medians of the rounds, per phase and target, and the ratios between them.
  for (const phase of phases) {
    for (const target of ['relay', 'reference', 'ceiling']) {
      const loads = phase.rounds[target];
      if (!loads) continue;
      phase[target] = combineRounds(loads);
      const read = loads.filter((load) => load?.readBack);
      if (phase[target] && read.length > 0) {
        phase[target].readBack = {
          accepted: read.reduce((sum, load) => sum + load.readBack.accepted, 0),
          lost: read.reduce((sum, load) => sum + load.readBack.lost, 0),
        };
      }
    }
    const rate = (target) => phase[target]?.requestsPerSecond;
    if (rate('relay') && rate('ceiling')) phase.ratio = round(rate('relay') / rate('ceiling'), 3);
    if (rate('relay') && rate('reference')) {
      phase.referenceRatio = round(rate('relay') / rate('reference'), 3);
      // Round by round (relay round n against reference round n, run one after the other).
      phase.referenceRatioByRound = (phase.rounds.relay ?? []).map((load, r) => {
        const other = phase.rounds.reference?.[r];
        return load?.requestsPerSecond && other?.requestsPerSecond ? round(load.requestsPerSecond / other.requestsPerSecond, 3) : null;
      });
    }
  }

  const finishedAt = new Date();
  result.finishedAt = finishedAt.toISOString();
  result.durationSeconds = round((finishedAt - startedAt) / 1000, 1);
  const measured = phases.some((phase) => phase.relay || phase.reference || phase.ceiling) || result.soak || result.producerPerformance;
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
