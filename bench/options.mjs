// Command-line flags of `npm run bench -- ...`; each has an environment variable too
// (BENCH_ and the flag in upper case, dashes as underscores: --rate-duration -> BENCH_RATE_DURATION).
// A flag wins over its variable.
import { parseArgs } from 'node:util';

const positiveInt = (name) => (text) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1, got '${text}'`);
  return value;
};
const nonNegativeInt = (name) => (text) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number of at least 0, got '${text}'`);
  return value;
};
const nonNegative = (name) => (text) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number of at least 0, got '${text}'`);
  return value;
};
const positive = (name) => (text) => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a number above 0, got '${text}'`);
  return value;
};

export const TARGETS = ['relay', 'reference', 'ceiling'];

const OPTIONS = {
  connections: { default: '1,16,64,256', help: 'connection counts of the closed-loop phases', parse: (text) => text.split(',').map((part) => positiveInt('connections')(part.trim())) },
  duration: { default: '10', help: 'seconds measured per connection phase', parse: positive('duration') },
  warmup: { default: '1', help: 'seconds of unmeasured load before each phase, same connections', parse: nonNegative('warmup') },
  'initial-warmup': { default: '2', help: 'seconds of unmeasured load at 64 connections before the first phase of each target', parse: nonNegative('initial-warmup') },
  rate: { default: '1000', help: 'requests/s of the fixed-rate phase (0: no such phase)', parse: nonNegativeInt('rate') },
  'rate-duration': { default: '20', help: 'seconds measured in the fixed-rate phase', parse: positive('rate-duration') },
  'rate-connections': { default: '64', help: 'connections of the fixed-rate phase', parse: positiveInt('rate-connections') },
  targets: {
    default: 'relay,reference,ceiling',
    help: 'any of relay, reference (bench/reference-relay.mjs), ceiling',
    parse: (text) => {
      const targets = text.split(',').map((part) => part.trim());
      for (const target of targets) if (!TARGETS.includes(target)) throw new Error(`--targets: unknown target '${target}' (${TARGETS.join(', ')})`);
      if (new Set(targets).size !== targets.length) throw new Error(`--targets: a target twice in '${text}'`);
      return TARGETS.filter((target) => targets.includes(target));
    },
  },
  rounds: { default: '3', help: 'fresh runs of the relay and of the reference each, alternated; the table shows their medians', parse: positiveInt('rounds') },
  entities: { default: '10000', help: 'distinct entity ids the requests cycle over', parse: positiveInt('entities') },
  'incidence-share': {
    default: '0.2',
    help: 'share of requests that are incidences (the rest are orders)',
    parse: (text) => {
      const value = Number(text);
      if (!(value >= 0 && value <= 1)) throw new Error(`--incidence-share must be between 0 and 1, got '${text}'`);
      return value;
    },
  },
  timeout: { default: '10', help: 'seconds before a request counts as timed out', parse: positive('timeout') },
  'producer-records': { default: '200000', help: 'records for Kafka ProducerPerformance (0: skip it)', parse: nonNegativeInt('producer-records') },
  'producer-warmup-records': { default: '50000', help: 'of those, records left out of its steady-state line', parse: nonNegativeInt('producer-warmup-records') },
  soak: { default: '0', help: 'soak mode: send this many requests to the relay at --soak-connections, sample RSS (only this)', parse: nonNegativeInt('soak') },
  'soak-connections': { default: '64', help: 'connections of the soak', parse: positiveInt('soak-connections') },
  'soak-max-seconds': { default: '1800', help: 'stop the soak after this long whatever was sent', parse: positive('soak-max-seconds') },
  'kafka-port': { default: '29092', help: 'the bench broker port (KAFKA_LOCAL_PORT for scripts/kafka)', parse: positiveInt('kafka-port') },
  'kafka-controller-port': { default: '29093', help: 'its controller port', parse: positiveInt('kafka-controller-port') },
  'relay-env': {
    default: [],
    multiple: true,
    help: 'NAME=VALUE for the relay and the reference processes (repeatable), e.g. KAFKA_BATCH_LINGER_MS, which both read',
    parse: (list) => list.map(parseAssignment),
  },
  'results-dir': { default: 'bench/results', help: 'where the JSON result goes', parse: (text) => text },
  'skip-build': { boolean: true, help: 'do not run npm run build (use the dist/ there is)' },
  'skip-verify': { boolean: true, help: 'do not read the topics back' },
  'keep-topics': { boolean: true, help: 'keep the run\'s topics (deleted at the end by default)' },
  help: { boolean: true, help: 'print this' },
};

function parseAssignment(text) {
  const at = text.indexOf('=');
  if (at < 1) throw new Error(`--relay-env takes NAME=VALUE, got '${text}'`);
  return [text.slice(0, at), text.slice(at + 1)];
}

const envName = (flag) => `BENCH_${flag.toUpperCase().replaceAll('-', '_')}`;

export function usage() {
  const lines = ['Usage: npm run bench -- [options]', ''];
  for (const [flag, spec] of Object.entries(OPTIONS)) {
    const shown = spec.boolean ? `--${flag}` : `--${flag} <value>`;
    const fallback = spec.boolean || spec.multiple ? '' : ` (default ${spec.default})`;
    lines.push(`  ${shown.padEnd(34)} ${spec.help}${fallback}   [${envName(flag)}]`);
  }
  return lines.join('\n');
}

/** @returns {Record<string, any>} camelCase option name -> parsed value */
export function parseOptions(argv = process.argv.slice(2), env = process.env) {
  const config = {};
  for (const [flag, spec] of Object.entries(OPTIONS)) {
    config[flag] = spec.boolean ? { type: 'boolean' } : { type: 'string', multiple: Boolean(spec.multiple) };
  }
  const { values } = parseArgs({ args: argv, options: config, allowPositionals: false, strict: true });
  const options = {};
  for (const [flag, spec] of Object.entries(OPTIONS)) {
    const camel = flag.replace(/-([a-z])/g, (_, letter) => letter.toUpperCase());
    const fromEnv = env[envName(flag)];
    let raw = values[flag];
    if (raw === undefined && fromEnv !== undefined && fromEnv !== '') {
      raw = spec.boolean ? ['1', 'true', 'yes'].includes(fromEnv.toLowerCase()) : spec.multiple ? fromEnv.split(/\s+/).filter(Boolean) : fromEnv;
    }
    if (spec.boolean) options[camel] = Boolean(raw);
    else options[camel] = spec.parse(raw ?? spec.default);
  }
  if (options.kafkaPort === options.kafkaControllerPort) throw new Error('--kafka-port and --kafka-controller-port must differ');
  return options;
}
