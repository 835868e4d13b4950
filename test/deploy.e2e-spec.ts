import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { loadRelayConfig, type RelayConfig } from '../src/config/relay-config.js';
import { post, sign } from './support/http.js';
import { relaySelectors, relaySeries, unknownSelectors } from './support/promql-names.js';
import { uniqueTopics, waitUntilReady } from './support/relay-app.js';
import { makeTestCertificates, type TestCertificates } from './support/test-certificates.js';
import { TEST_BROKER } from './support/test-broker.mjs';

/**
 * What the project ships to run the relay (docs/deployment.md): the Dockerfile, docker-compose.yml
 * and the kustomizations under deploy/kubernetes. scripts/deploy/validate.sh checks them with the
 * real tools (kustomize, the Kubernetes and Compose schemas, hadolint); this suite runs it, then
 * asserts on what it rendered what the relay needs to be operable: probes on its health routes,
 * a grace period its drain fits in, a hardened pod, settings it actually reads, and so on.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SCRIPTS = join(REPO, 'scripts/deploy');
/** Installs on a fresh machine take about a minute (kustomize is built from source); cached, seconds. */
const TOOL_TIMEOUT_MS = 600_000;
/** The image's V8 settings (Dockerfile, docs/benchmarks.md, Memory). */
const IMAGE_NODE_OPTIONS = '--max-semi-space-size=8 --max-old-space-size=256';
/** The image's allocator setting (Dockerfile, docs/benchmarks.md, Memory). */
const IMAGE_GLIBC_TUNABLES = 'glibc.malloc.mmap_threshold=16384';

interface Run {
  readonly code: number;
  readonly output: string;
}

function run(command: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd ?? REPO, timeout: options.timeoutMs ?? TOOL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Kubernetes objects, as far as these assertions read them.

// Rendered YAML is walked by key; a wrong path fails the assertion that reads it.
type Obj = Record<string, any>;

function objectsOf(yamlText: string): Obj[] {
  return parseAllDocuments(yamlText)
    .map((document) => document.toJS() as Obj | null)
    .filter((object): object is Obj => object !== null);
}

function only(objects: readonly Obj[], kind: string): Obj {
  const found = objects.filter((object) => object['kind'] === kind);
  expect(found.map((object) => `${kind}/${object['metadata']['name']}`)).toHaveLength(1);
  return found[0]!;
}

function selects(matchLabels: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(matchLabels).length > 0 && Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
}

/** Kubernetes quantities (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/). */
function cpuCores(quantity: string | number): number {
  const text = String(quantity);
  return text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
}

function bytes(quantity: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * unit;
}

/** The relay's environment as the pod gets it: the ConfigMaps it loads, then its own env. */
function podEnv(objects: readonly Obj[], container: Obj): { values: Record<string, string>; secretRefs: Record<string, { name: string; key: string }> } {
  const values: Record<string, string> = {};
  const secretRefs: Record<string, { name: string; key: string }> = {};
  for (const source of container['envFrom'] ?? []) {
    const name = source['configMapRef']?.['name'];
    expect(name).toBeDefined();
    const configMap = objects.find((object) => object['kind'] === 'ConfigMap' && object['metadata']['name'] === name);
    expect(configMap).toBeDefined();
    Object.assign(values, configMap!['data']);
  }
  for (const variable of container['env'] ?? []) {
    const ref = variable['valueFrom']?.['secretKeyRef'];
    if (ref) secretRefs[variable['name']] = { name: ref['name'], key: ref['key'] };
    else values[variable['name']] = String(variable['value']);
  }
  return { values, secretRefs };
}

/** The relay's configuration in that pod, with a placeholder for each value a Secret holds, in a variable or a file. */
function relayConfigIn(objects: readonly Obj[], container: Obj): RelayConfig {
  const { values, secretRefs } = podEnv(objects, container);
  const workload = objects.find((object) => ['Deployment', 'StatefulSet'].includes(object['kind']))!;
  return loadRelayConfig({ ...values, ...Object.fromEntries(Object.keys(secretRefs).map((name) => [name, 'from-a-secret'])) }, (path) =>
    standIn(secretItemAt(workload, container, path), path),
  );
}

/** The Secret and key a file of the container is, when `path` is an item of a Secret volume it mounts read-only. */
function secretItemAt(workload: Obj, container: Obj, path: string): { secretName: string; key: string } | undefined {
  const mount = ((container['volumeMounts'] ?? []) as Obj[]).find((candidate) => path.startsWith(`${candidate['mountPath']}/`));
  if (mount === undefined || mount['readOnly'] !== true) return undefined;
  const volume = ((workload['spec']['template']['spec']['volumes'] ?? []) as Obj[]).find((candidate) => candidate['name'] === mount['name']);
  const item = ((volume?.['secret']?.['items'] ?? []) as Obj[]).find((candidate) => candidate['path'] === path.slice(mount['mountPath'].length + 1));
  return item ? { secretName: volume!['secret']['secretName'], key: item['key'] } : undefined;
}

let certificates: TestCertificates | undefined;

/**
 * What such a file holds, in kind: certificates and a key of a test CA for Strimzi's ca.crt,
 * user.crt and user.key, a placeholder for anything else. A path no Secret provides does not
 * exist, as in the pod.
 */
function standIn(item: { secretName: string; key: string } | undefined, path: string): string {
  if (item === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  certificates ??= makeTestCertificates(join(tmpdir(), `deploy-certificates-${randomUUID()}`));
  const pem = { 'ca.crt': certificates.ca.cert, 'user.crt': certificates.client.cert, 'user.key': certificates.client.key }[item.key];
  return pem === undefined ? 'from-a-secret' : readFileSync(pem, 'utf8');
}

afterAll(async () => {
  if (certificates) await rm(certificates.dir, { recursive: true, force: true });
});

/** The Strimzi Kafka cluster a bootstrap address names: <cluster>-kafka-bootstrap[.<namespace>.svc]:<port>. */
function strimziClusterOf(brokers: readonly string[]): string | undefined {
  return /^(.+)-kafka-bootstrap(?:\.[^:]+)?:\d+$/.exec(brokers[0] ?? '')?.[1];
}

// ---------------------------------------------------------------------------------------------
// What the relay reads.

/** Every variable name src/config reads (`env.int('PORT', …)` and the like). */
async function namesTheRelayReads(): Promise<Set<string>> {
  const dir = join(REPO, 'src/config');
  const names = new Set<string>();
  for (const file of await readdir(dir)) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
    const source = await readFile(join(dir, file), 'utf8');
    // A secret's two names too: env.secret('KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE').
    for (const match of source.matchAll(/\.\w+\(\s*'([A-Z][A-Z0-9_]+)'(?:,\s*'([A-Z][A-Z0-9_]+)')?/g)) {
      for (const name of match.slice(1)) if (name !== undefined) names.add(name);
    }
  }
  return names;
}

/** Read by Node itself (https://nodejs.org/api/cli.html#environment-variables) or the OpenTelemetry SDK (src/tracing). */
const RUNTIME_NAMES = new Set(['NODE_ENV', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS']);

function unknownNames(names: Iterable<string>, relayNames: ReadonlySet<string>): string[] {
  return [...names].filter((name) => !relayNames.has(name) && !RUNTIME_NAMES.has(name) && !name.startsWith('OTEL_'));
}

/** The Dockerfile, as instructions grouped by stage (https://docs.docker.com/reference/dockerfile/). */
interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly { readonly keyword: string; readonly args: string }[];
}

function stagesOf(dockerfile: string): Stage[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: { from: string; name: string | undefined; instructions: { keyword: string; args: string }[] }[] = [];
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

function argsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);
}

// ---------------------------------------------------------------------------------------------

describe('deployment files', () => {
  let out: string;
  let validation: Run;
  let relayNames: Set<string>;
  let rendered: Record<string, Obj[]>;
  let stages: Stage[];

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'dropea-relay-deploy-'));
    validation = await run('bash', [join(SCRIPTS, 'validate.sh'), '--out', out]);
    relayNames = await namesTheRelayReads();
    rendered = {};
    for (const file of await readdir(out)) {
      if (file.endsWith('.yaml')) rendered[file.replace(/\.yaml$/, '')] = objectsOf(await readFile(join(out, file), 'utf8'));
    }
    stages = stagesOf(await readFile(join(REPO, 'Dockerfile'), 'utf8'));
  }, TOOL_TIMEOUT_MS);

  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  describe('scripts/deploy/validate.sh', () => {
    it('renders every kustomization and finds it valid against the Kubernetes schemas, docker-compose.yml against the Compose schema, and the Dockerfile clean', () => {
      expect({ code: validation.code, tail: validation.output.slice(-3000) }).toMatchObject({ code: 0 });
      expect(Object.keys(rendered).sort()).toEqual(['base', 'monitoring', 'overlays-spool', 'overlays-strimzi']);
      // Every rendered object but the custom resources, and secret.example.yaml, passed against
      // each pinned Kubernetes version; the custom resources against their CRDs.
      const versions = /^DEPLOY_KUBERNETES_VERSIONS="([^"]+)"/m.exec(readFileSync(join(SCRIPTS, 'env.sh'), 'utf8'))![1]!.split(' ');
      expect(versions).toContain('1.30');
      const all = Object.values(rendered).flat();
      const custom = all.filter((object) => /^(monitoring\.coreos\.com|kafka\.strimzi\.io)\//.test(String(object['apiVersion'])));
      expect(custom.map((object) => object['kind']).sort()).toEqual(['KafkaTopic', 'KafkaTopic', 'KafkaTopic', 'KafkaUser', 'PodMonitor', 'PrometheusRule']);
      expect(validation.output).toMatch(new RegExp(`^custom resources: ${custom.length} checked against \\d+ CRD versions, 0 error\\(s\\)$`, 'm'));
      const objects = all.length - custom.length + 1;
      for (const version of versions) {
        const passed = validation.output.match(new RegExp(`^INFO \\S+ passed for resource \\S+ against version ${version.replace('.', '\\.')}$`, 'gm')) ?? [];
        expect({ version, passed: passed.length }).toEqual({ version, passed: objects });
      }
      expect(validation.output).not.toMatch(/^(WARN|ERROR|FATAL)/m);
      expect(validation.output).toMatch(/INFO docker-compose\.yml is valid against the Compose Specification schema/);
      expect(validation.output).toMatch(/deploy: ok: rendered base \(\d+ objects\), overlays\/spool \(\d+ objects\), overlays\/strimzi \(\d+ objects\), monitoring \(3 objects\)/);
    });

    it('is strict: an unknown field, a kind without a schema, a misspelt Compose key, or a Dockerfile that ends as root fails the check', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'dropea-relay-deploy-bad-'));
      try {
        const deployment = structuredClone(only(rendered['base']!, 'Deployment'));
        deployment['spec']['template']['spec']['containers'][0]['securityContext']['readOnlyRootFS'] = true;
        await writeFile(join(dir, 'unknown-field.yaml'), JSON.stringify(deployment));
        await writeFile(join(dir, 'no-schema.yaml'), 'apiVersion: kafka.strimzi.io/v1\nkind: KafkaTopic\nmetadata: {name: t}\nspec: {partitions: 1}\n');
        const unknownField = await run('bash', [join(SCRIPTS, 'kubernetes-schema-check.sh'), join(dir, 'unknown-field.yaml')]);
        expect(unknownField.code).not.toBe(0);
        expect(unknownField.output).toMatch(/'readOnlyRootFS' was unexpected/);
        const noSchema = await run('bash', [join(SCRIPTS, 'kubernetes-schema-check.sh'), join(dir, 'no-schema.yaml')]);
        expect(noSchema.code).not.toBe(0);
        expect(noSchema.output).toMatch(/Couldn't find schema for kind KafkaTopic/);

        const venv = (await run('bash', [join(REPO, 'scripts/python/venv.sh'), join(SCRIPTS, 'requirements.txt')])).output.trim();
        const crds = (await run('bash', [join(SCRIPTS, 'crds.sh')])).output.trim();
        const rule = structuredClone(only(rendered['monitoring']!, 'PrometheusRule'));
        rule['spec']['groups'][0]['rules'][0]['exprr'] = rule['spec']['groups'][0]['rules'][0]['expr'];
        await writeFile(join(dir, 'rule.yaml'), JSON.stringify(rule));
        await writeFile(join(dir, 'no-crd.yaml'), 'apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRules\nmetadata: {name: r}\nspec: {}\n');
        const user = structuredClone(only(rendered['overlays-strimzi']!, 'KafkaUser'));
        user['spec']['authorization']['acls'][0]['operations'] = ['Wrte'];
        await writeFile(join(dir, 'user.yaml'), JSON.stringify(user));
        // kafka.strimzi.io/v1beta2 is deprecated: the check knows only v1.
        await writeFile(join(dir, 'v1beta2.yaml'), JSON.stringify({ ...only(rendered['overlays-strimzi']!, 'KafkaUser'), apiVersion: 'kafka.strimzi.io/v1beta2' }));
        const monitor = structuredClone(only(rendered['monitoring']!, 'PodMonitor'));
        monitor['spec']['podMetricsEndpoints'][0]['paths'] = '/metrics';
        await writeFile(join(dir, 'monitor.yaml'), JSON.stringify(monitor));
        for (const [file, message] of [
          ['rule.yaml', /spec\.groups\.0\.rules\.0: Additional properties are not allowed \('exprr' was unexpected\)/],
          ['no-crd.yaml', /no CustomResourceDefinition defines monitoring\.coreos\.com\/v1 PrometheusRules/],
          ['user.yaml', /spec\.authorization\.acls\.0\.operations\.0: 'Wrte' is not one of/],
          ['v1beta2.yaml', /no CustomResourceDefinition defines kafka\.strimzi\.io\/v1beta2 KafkaUser/],
          ['monitor.yaml', /spec\.podMetricsEndpoints\.0: Additional properties are not allowed \('paths' was unexpected\)/],
        ] as const) {
          const check = await run(join(venv, 'bin/python'), [join(SCRIPTS, 'custom-resource-check.py'), '--crds', crds, '--core-out', join(dir, 'core.yaml'), join(dir, file)]);
          expect(check.code).toBe(1);
          expect(check.output).toMatch(message);
        }

        const compose = parse(await readFile(join(REPO, 'docker-compose.yml'), 'utf8')) as Obj;
        compose['services']['relay']['stop_grace_periodd'] = '30s';
        await writeFile(join(dir, 'compose.yml'), JSON.stringify(compose));
        const schema = (await run('bash', [join(SCRIPTS, 'compose-schema.sh')])).output.trim();
        const badCompose = await run(join(venv, 'bin/python'), [join(SCRIPTS, 'compose-schema-check.py'), schema, join(dir, 'compose.yml')]);
        expect(badCompose.code).toBe(1);
        expect(badCompose.output).toMatch(/services\.relay: .*'stop_grace_periodd'/);

        await writeFile(join(dir, 'Dockerfile'), `${await readFile(join(REPO, 'Dockerfile'), 'utf8')}USER root\n`);
        const rootImage = await run(join(venv, 'bin/hadolint'), ['--no-color', join(dir, 'Dockerfile')]);
        expect(rootImage.code).not.toBe(0);
        expect(rootImage.output).toMatch(/DL3002 warning: Last USER should not be root/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('Kubernetes', () => {
    const KUSTOMIZATIONS = ['base', 'overlays-strimzi', 'overlays-spool'] as const;

    function workloadOf(name: string): Obj {
      const objects = rendered[name]!;
      const workloads = objects.filter((object) => ['Deployment', 'StatefulSet'].includes(object['kind']));
      expect(workloads).toHaveLength(1);
      return workloads[0]!;
    }

    function relayContainer(workload: Obj): Obj {
      const containers = workload['spec']['template']['spec']['containers'] as Obj[];
      expect(containers.map((container) => container['name'])).toEqual(['relay']);
      return containers[0]!;
    }

    it.each(KUSTOMIZATIONS)('%s: runs the image as its non-root user, read-only, without privileges or capabilities', (name) => {
      const pod = workloadOf(name)['spec']['template']['spec'];
      const container = relayContainer(workloadOf(name));
      const finalStage = stages.at(-1)!;
      const [user, group] = argsOf(finalStage, 'USER').at(-1)!.split(':').map(Number);
      expect(user).toBeGreaterThan(0);
      for (const context of [pod['securityContext'], container['securityContext']]) {
        expect(context).toMatchObject({ runAsNonRoot: true, runAsUser: user, runAsGroup: group, seccompProfile: { type: 'RuntimeDefault' } });
      }
      expect(container['securityContext']).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(container['securityContext']['capabilities']['add']).toBeUndefined();
      // The one writable path Node needs is an emptyDir.
      const tmp = (container['volumeMounts'] as Obj[]).find((mount) => mount['mountPath'] === '/tmp');
      expect((pod['volumes'] as Obj[]).find((volume) => volume['name'] === tmp?.['name'])?.['emptyDir']).toBeDefined();
      expect(pod['automountServiceAccountToken']).toBe(false);
      const account = only(rendered[name]!, 'ServiceAccount');
      expect(pod['serviceAccountName']).toBe(account['metadata']['name']);
      expect(account['automountServiceAccountToken']).toBe(false);
    });

    it.each(KUSTOMIZATIONS)('%s: takes webhooks on `http` and serves probes and /metrics on `management` (MANAGEMENT_PORT), where the probes point', (name) => {
      const container = relayContainer(workloadOf(name));
      const { http, management } = relayConfigIn(rendered[name]!, container);
      expect(management).toBeDefined();
      expect(management!.port).not.toBe(http.port);
      const ports = container['ports'] as Obj[];
      expect(ports).toEqual([
        { name: 'http', containerPort: http.port, protocol: 'TCP' },
        { name: 'management', containerPort: management!.port, protocol: 'TCP' },
      ]);
      const target = (probe: Obj): unknown => probe['httpGet']['port'];
      expect(container['startupProbe']['httpGet']).toMatchObject({ path: '/health/live' });
      expect(container['livenessProbe']['httpGet']).toMatchObject({ path: '/health/live' });
      expect(container['readinessProbe']['httpGet']).toMatchObject({ path: '/health/ready' });
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) expect([management!.port, 'management']).toContain(target(container[probe]));
      // Prometheus' kubernetes_sd annotations name the management port too.
      expect(workloadOf(name)['spec']['template']['metadata']['annotations']).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(management!.port),
        'prometheus.io/path': '/metrics',
      });
    });

    it.each(KUSTOMIZATIONS)('%s: gives the drain its time: grace period > preStop sleep + SHUTDOWN_TIMEOUT_MS, and liveness cannot cut it short', (name) => {
      const pod = workloadOf(name)['spec']['template']['spec'];
      const container = relayContainer(workloadOf(name));
      const shutdownMs = relayConfigIn(rendered[name]!, container).http.shutdownTimeoutMs;
      const preStopSeconds = container['lifecycle']['preStop']['sleep']['seconds'] as number;
      expect(preStopSeconds).toBeGreaterThanOrEqual(3);
      expect(pod['terminationGracePeriodSeconds'] * 1000).toBeGreaterThan(preStopSeconds * 1000 + shutdownMs);
      const liveness = container['livenessProbe'];
      expect(liveness['periodSeconds'] * liveness['failureThreshold'] * 1000).toBeGreaterThanOrEqual(shutdownMs);
    });

    it.each(KUSTOMIZATIONS)('%s: sets requests and limits above the measured footprint (docs/benchmarks.md)', (name) => {
      const { requests, limits } = relayContainer(workloadOf(name))['resources'];
      // docs/benchmarks.md, Memory: peak RSS over the 1,000,000-request soak with the image's
      // heap settings, the highest figure on that page for them (commit b9ca456's; the relay
      // at rest has only shrunk since).
      const soakPeakBytes = 190.5e6;
      expect(bytes(requests['memory'])).toBeGreaterThanOrEqual(soakPeakBytes * 1.25);
      expect(bytes(limits['memory'])).toBeGreaterThan(soakPeakBytes * 1.5);
      expect(bytes(limits['memory'])).toBeGreaterThanOrEqual(bytes(requests['memory']));
      // One core saturates the JavaScript thread; the limit must not throttle it below that.
      expect(cpuCores(requests['cpu'])).toBeGreaterThan(0);
      expect(cpuCores(limits['cpu'])).toBeGreaterThan(1);
    });

    it.each(KUSTOMIZATIONS)('%s: sets only variables the relay reads, with values it accepts', (name) => {
      const container = relayContainer(workloadOf(name));
      const { values, secretRefs } = podEnv(rendered[name]!, container);
      expect(unknownNames([...Object.keys(values), ...Object.keys(secretRefs)], relayNames)).toEqual([]);
      expect(() => relayConfigIn(rendered[name]!, container)).not.toThrow();
      expect(values['DROPEA_SIGNATURE_MODE']).toBe('required');
    });

    it.each(KUSTOMIZATIONS)('%s: reads DROPEA_API_KEYS from the Secret the example describes, which is not deployed', async (name) => {
      const example = objectsOf(await readFile(join(REPO, 'deploy/kubernetes/base/secret.example.yaml'), 'utf8'));
      const secret = only(example, 'Secret');
      const { secretRefs } = podEnv(rendered[name]!, relayContainer(workloadOf(name)));
      expect(secretRefs['DROPEA_API_KEYS']).toEqual({ name: secret['metadata']['name'], key: 'DROPEA_API_KEYS' });
      expect(secret['stringData']['DROPEA_API_KEYS']).toMatch(/^REPLACE-/);
      expect(rendered[name]!.filter((object) => object['kind'] === 'Secret')).toEqual([]);
    });

    it.each(KUSTOMIZATIONS)('%s: Service, PodDisruptionBudget and NetworkPolicy select the relay pods; the Service exposes only the webhook port', (name) => {
      const objects = rendered[name]!;
      const workload = workloadOf(name);
      const podLabels = workload['spec']['template']['metadata']['labels'];
      expect(selects(workload['spec']['selector']['matchLabels'], podLabels)).toBe(true);
      const service = objects.find((object) => object['kind'] === 'Service' && object['metadata']['name'] === 'dropea-relay')!;
      expect(selects(service['spec']['selector'], podLabels)).toBe(true);
      expect(service['spec']['ports']).toEqual([expect.objectContaining({ targetPort: 'http' })]);
      const budget = only(objects, 'PodDisruptionBudget');
      expect(selects(budget['spec']['selector']['matchLabels'], podLabels)).toBe(true);
      expect(budget['spec']['maxUnavailable']).toBe(1);
      const policy = only(objects, 'NetworkPolicy');
      expect(selects(policy['spec']['podSelector']['matchLabels'], podLabels)).toBe(true);
      // Spread over zones and nodes.
      const spread = workload['spec']['template']['spec']['topologySpreadConstraints'] as Obj[];
      expect(spread.map((constraint) => constraint['topologyKey']).sort()).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
      for (const constraint of spread) expect(selects(constraint['labelSelector']['matchLabels'], podLabels)).toBe(true);
    });

    it.each(['base', 'overlays-strimzi'])('%s: a Deployment of at least 2 replicas, scaled by an autoscaling/v2 HorizontalPodAutoscaler, without a spool', (name) => {
      const objects = rendered[name]!;
      const deployment = only(objects, 'Deployment');
      const autoscaler = only(objects, 'HorizontalPodAutoscaler');
      expect(autoscaler['apiVersion']).toBe('autoscaling/v2');
      expect(autoscaler['spec']['scaleTargetRef']).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment['metadata']['name'] });
      expect(autoscaler['spec']['minReplicas']).toBeGreaterThanOrEqual(2);
      expect(autoscaler['spec']['maxReplicas']).toBeGreaterThan(autoscaler['spec']['minReplicas']);
      expect(autoscaler['spec']['metrics']).toEqual([
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } },
      ]);
      // The autoscaler owns the count (an applied replicas field would reset it).
      expect(deployment['spec']['replicas']).toBeUndefined();
      expect(deployment['spec']['strategy']['rollingUpdate']).toEqual({ maxSurge: 1, maxUnavailable: 0 });
      // docs/guarantees.md: a spool needs a volume of the pod's own, which a Deployment cannot give.
      expect(relayConfigIn(objects, relayContainer(deployment)).kafka.spool).toBeUndefined();
    });

    it('overlays/strimzi: TLS and SCRAM-SHA-512 to the bootstrap service, with the cluster CA and the password as files of the Secrets Strimzi creates', () => {
      const objects = rendered['overlays-strimzi']!;
      const deployment = only(objects, 'Deployment');
      const container = relayContainer(deployment);
      const { values, secretRefs } = podEnv(objects, container);
      const kafka = relayConfigIn(objects, container).kafka;
      expect(kafka.brokers).toEqual(['my-cluster-kafka-bootstrap:9093']);
      expect(kafka.ssl).toBe(true);
      expect(kafka.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'dropea-relay', passwordVariable: 'KAFKA_SASL_PASSWORD_FILE' });
      expect(kafka.createTopics).toBe(false);
      // KAFKA_SSL_CA_FILE is ca.crt of <cluster>-cluster-ca-cert; KAFKA_SASL_PASSWORD_FILE the key
      // `password` of the KafkaUser's Secret, named after it (= the SASL user name); both mounted read-only.
      expect(kafka.sslFiles.ca?.path).toBe(values['KAFKA_SSL_CA_FILE']);
      expect(secretItemAt(deployment, container, values['KAFKA_SSL_CA_FILE']!)).toEqual({ secretName: 'my-cluster-cluster-ca-cert', key: 'ca.crt' });
      expect(secretItemAt(deployment, container, values['KAFKA_SASL_PASSWORD_FILE']!)).toEqual({ secretName: kafka.sasl!.username, key: 'password' });
      // Neither the password nor the CA through the environment any more.
      expect(secretRefs).not.toHaveProperty('KAFKA_SASL_PASSWORD');
      expect(values).not.toHaveProperty('NODE_EXTRA_CA_CERTS');
    });

    it('overlays/spool: a StatefulSet whose pods each have a ReadWriteOncePod volume at SPOOL_DIR, larger than SPOOL_MAX_BYTES, and no autoscaler', () => {
      const objects = rendered['overlays-spool']!;
      expect(objects.filter((object) => ['Deployment', 'HorizontalPodAutoscaler'].includes(object['kind']))).toEqual([]);
      const statefulSet = only(objects, 'StatefulSet');
      const container = relayContainer(statefulSet);
      const spool = relayConfigIn(objects, container).kafka.spool!;
      expect(spool).toBeDefined();
      expect(statefulSet['spec']['replicas']).toBeGreaterThanOrEqual(2);
      const claims = statefulSet['spec']['volumeClaimTemplates'] as Obj[];
      const mount = (container['volumeMounts'] as Obj[]).find((candidate) => candidate['mountPath'] === spool.dir)!;
      const claim = claims.find((candidate) => candidate['metadata']['name'] === mount['name'])!;
      // No other pod can mount it, whichever node it runs on.
      expect(claim['spec']['accessModes']).toEqual(['ReadWriteOncePod']);
      expect(bytes(claim['spec']['resources']['requests']['storage'])).toBeGreaterThanOrEqual(spool.maxBytes * 1.1);
      expect(statefulSet['spec']['persistentVolumeClaimRetentionPolicy']).toEqual({ whenScaled: 'Retain', whenDeleted: 'Retain' });
      const governing = objects.find((object) => object['kind'] === 'Service' && object['metadata']['name'] === statefulSet['spec']['serviceName']);
      expect(governing?.['spec']['clusterIP']).toBe('None');
      // The same pod as the base's Deployment, plus the spool's volume.
      const base = relayContainer(only(rendered['base']!, 'Deployment'));
      const { volumeMounts: _spoolMounts, envFrom: _spoolEnv, ...same } = container;
      const { volumeMounts: _baseMounts, envFrom: _baseEnv, ...expected } = base;
      expect(same).toEqual(expected);
    });

    it.each(KUSTOMIZATIONS)('%s: NetworkPolicy lets webhooks in from the ingress controller and scrapes from monitoring only, and out only to Kafka and DNS', (name) => {
      const objects = rendered[name]!;
      const container = relayContainer(workloadOf(name));
      const portNames = (container['ports'] as Obj[]).map((port) => port['name']);
      const policy = only(objects, 'NetworkPolicy')['spec'];
      expect(policy['policyTypes']).toEqual(['Ingress', 'Egress']);
      // Every rule names who may connect: no rule open to every source or destination.
      const namespaceOf = (peer: Obj): string => peer['namespaceSelector']['matchLabels']['kubernetes.io/metadata.name'];
      expect(
        (policy['ingress'] as Obj[]).map((rule) => ({ from: (rule['from'] as Obj[]).map(namespaceOf), ports: rule['ports'] })),
      ).toEqual([
        { from: ['ingress-nginx'], ports: [{ port: 'http', protocol: 'TCP' }] },
        { from: ['monitoring'], ports: [{ port: 'management', protocol: 'TCP' }] },
      ]);
      for (const rule of policy['ingress'] as Obj[]) for (const port of rule['ports'] as Obj[]) expect(portNames).toContain(port['port']);
      const egress = policy['egress'] as Obj[];
      expect(egress).toHaveLength(2);
      for (const rule of egress) expect((rule['to'] as Obj[]).length).toBeGreaterThan(0);
      const [kafka, dns] = egress;
      expect(kafka!['to']).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kafka' } }, podSelector: { matchLabels: { 'strimzi.io/kind': 'Kafka' } } }]);
      // The brokers' port, whichever listener the relay uses.
      const brokerPorts = relayConfigIn(objects, container).kafka.brokers.map((broker) => Number(broker.slice(broker.lastIndexOf(':') + 1)));
      const allowed = (kafka!['ports'] as Obj[]).map((port) => port['port']);
      expect(allowed).toEqual([9092, 9093]);
      for (const port of brokerPorts) expect(allowed).toContain(port);
      expect(dns).toEqual({
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      });
    });

    it.each(KUSTOMIZATIONS)('monitoring: the PodMonitor scrapes /metrics on the management port of the pods of %s', (name) => {
      const monitor = only(rendered['monitoring']!, 'PodMonitor');
      const workload = workloadOf(name);
      const container = relayContainer(workload);
      expect(selects(monitor['spec']['selector']['matchLabels'], workload['spec']['template']['metadata']['labels'])).toBe(true);
      const endpoints = monitor['spec']['podMetricsEndpoints'] as Obj[];
      expect(endpoints).toHaveLength(1);
      expect(endpoints[0]).toMatchObject({ port: 'management', path: '/metrics' });
      const port = (container['ports'] as Obj[]).find((candidate) => candidate['name'] === endpoints[0]!['port']);
      expect(port?.['containerPort']).toBe(relayConfigIn(rendered[name]!, container).management?.port);
    });

    it('monitoring: alerts on the 5xx ratio, publish latency, dead letters, readiness, the spool and the heap, on metrics and labels the relay exports', () => {
      const rule = only(rendered['monitoring']!, 'PrometheusRule');
      const rules = (rule['spec']['groups'] as Obj[]).flatMap((group) => group['rules'] as Obj[]);
      expect(rules.map((r) => r['alert'])).toEqual(
        expect.arrayContaining([
          'DropeaRelayErrorRatioHigh',
          'DropeaRelayPublishSlow',
          'DropeaRelayDeadLetters',
          'DropeaRelayNotReady',
          'DropeaRelayNoneReady',
          'DropeaRelaySpoolBacklogAging',
          'DropeaRelaySpoolStalled',
          'DropeaRelayRecordsRefused',
          'DropeaRelayHeapNearLimit',
        ]),
      );
      const byAlert = Object.fromEntries(rules.map((r) => [r['alert'], String(r['expr'])]));
      expect(byAlert['DropeaRelayErrorRatioHigh']).toMatch(/dropea_relay_webhook_requests_total\{code=~"5\.\."\}/);
      expect(byAlert['DropeaRelayPublishSlow']).toMatch(/histogram_quantile\(0\.99, .*dropea_relay_publish_duration_seconds_bucket/s);
      expect(byAlert['DropeaRelayDeadLetters']).toContain('dropea_relay_dead_letters_total');
      expect(byAlert['DropeaRelayHeapNearLimit']).toContain('nodejs_heap_size_used_bytes / dropea_relay_heap_limit_bytes');
      const series = relaySeries();
      // The check itself: a misspelt metric or label is caught.
      expect(unknownSelectors('rate(dropea_relay_webhook_request_total[5m]) + dropea_relay_publish_duration_seconds_bucket{status="ok"}', series)).toEqual([
        'dropea_relay_webhook_request_total is not exported',
        'dropea_relay_publish_duration_seconds_bucket has no label status',
      ]);
      for (const { alert, expr, annotations } of rules) {
        expect({ alert, selectors: relaySelectors(String(expr)).length > 0 }).toEqual({ alert, selectors: true });
        expect({ alert, problems: unknownSelectors(String(expr), series) }).toEqual({ alert, problems: [] });
        expect(annotations['summary']).toEqual(expect.any(String));
        expect(annotations['description']).toEqual(expect.any(String));
      }
    });

    it('monitoring: the Grafana dashboard is valid JSON, shipped as a grafana_dashboard ConfigMap, and every query names metrics and labels the relay exports', async () => {
      const text = await readFile(join(REPO, 'deploy/kubernetes/monitoring/grafana-dashboard.json'), 'utf8');
      const dashboard = JSON.parse(text) as Obj;
      const configMap = only(rendered['monitoring']!, 'ConfigMap');
      expect(configMap['metadata']['labels']).toMatchObject({ grafana_dashboard: '1' });
      expect(configMap['data']).toEqual({ 'grafana-dashboard.json': text });
      expect(dashboard).toMatchObject({ uid: 'dropea-relay', title: expect.any(String), schemaVersion: expect.any(Number) });
      const panels = dashboard['panels'] as Obj[];
      expect(new Set(panels.map((panel) => panel['id'])).size).toBe(panels.length);
      const series = relaySeries();
      const queried = new Set<string>();
      for (const panel of panels) {
        const exprs = (panel['targets'] as Obj[]).map((target) => String(target['expr']));
        expect({ panel: panel['title'], queries: exprs.length > 0 }).toEqual({ panel: panel['title'], queries: true });
        for (const expr of exprs) {
          expect({ panel: panel['title'], expr, problems: unknownSelectors(expr, series) }).toEqual({ panel: panel['title'], expr, problems: [] });
          for (const { name } of relaySelectors(expr)) queried.add(name);
        }
      }
      for (const variable of dashboard['templating']['list'] as Obj[]) {
        if (variable['type'] === 'query') expect(unknownSelectors(String(variable['definition']), series)).toEqual([]);
      }
      // A panel for each thing an operator looks at first.
      expect([...queried].sort()).toEqual(
        expect.arrayContaining([
          'dropea_relay_build_info',
          'dropea_relay_dead_letters_total',
          'dropea_relay_heap_limit_bytes',
          'dropea_relay_publish_duration_seconds_bucket',
          'dropea_relay_ready',
          'dropea_relay_spool_bytes',
          'dropea_relay_spool_oldest_age_seconds',
          'dropea_relay_webhook_requests_total',
        ]),
      );
      const latency = panels.find((panel) => (panel['targets'] as Obj[]).some((target) => String(target['expr']).includes('dropea_relay_publish_duration_seconds_bucket')))!;
      expect((latency['targets'] as Obj[]).map((target) => /histogram_quantile\((0\.\d+),/.exec(String(target['expr']))?.[1])).toEqual(['0.5', '0.99']);
      expect(panels.some((panel) => (panel['targets'] as Obj[]).some((target) => /sum by \(code\) \(rate\(dropea_relay_webhook_requests_total/.test(String(target['expr']))))).toBe(true);
    });

    it('overlays/strimzi: a KafkaTopic for each topic the relay writes, replicated for acks=all, accepting its largest batch', () => {
      const objects = rendered['overlays-strimzi']!;
      const { kafka } = relayConfigIn(objects, relayContainer(workloadOf('overlays-strimzi')));
      const cluster = strimziClusterOf(kafka.brokers);
      const topics = objects.filter((object) => object['kind'] === 'KafkaTopic');
      expect(topics.map((topic) => topic['spec']['topicName'] ?? topic['metadata']['name']).sort()).toEqual(
        [kafka.topics.orders, kafka.topics.incidences, kafka.topics.deadLetter].sort(),
      );
      for (const topic of topics) {
        expect(topic['apiVersion']).toBe('kafka.strimzi.io/v1');
        expect(topic['metadata']['labels']['strimzi.io/cluster']).toBe(cluster);
        const { partitions, replicas, config } = topic['spec'];
        expect(partitions).toBe(kafka.partitions);
        // One broker may be down and writes with acks=all still succeed.
        expect(config['min.insync.replicas']).toBeGreaterThanOrEqual(2);
        expect(replicas).toBeGreaterThan(config['min.insync.replicas']);
        expect(config['max.message.bytes']).toBeGreaterThan(kafka.batch.maxBytes);
        expect(config['retention.ms']).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000);
      }
      // Strimzi creates them; the relay never does.
      expect(kafka.createTopics).toBe(false);
    });

    it('overlays/strimzi: the KafkaUser is the relay\'s SASL user, with Describe, Write and DescribeConfigs on its three topics and nothing else', () => {
      const objects = rendered['overlays-strimzi']!;
      const { kafka } = relayConfigIn(objects, relayContainer(workloadOf('overlays-strimzi')));
      const user = only(objects, 'KafkaUser');
      expect(user['apiVersion']).toBe('kafka.strimzi.io/v1');
      expect(user['metadata']['name']).toBe(kafka.sasl!.username);
      expect(user['metadata']['labels']['strimzi.io/cluster']).toBe(strimziClusterOf(kafka.brokers));
      expect(user['spec']['authentication']).toEqual({ type: kafka.sasl!.mechanism });
      expect(user['spec']['authorization']['type']).toBe('simple');
      // Every (resource, operation) pair granted, expanded: exactly these, all allowed, from any host.
      const granted = (user['spec']['authorization']['acls'] as Obj[]).flatMap((acl) => {
        expect(acl['type'] ?? 'allow').toBe('allow');
        expect(acl['host'] ?? '*').toBe('*');
        const { type, name, patternType } = acl['resource'];
        return (acl['operations'] as string[]).map((operation) => `${type}:${patternType ?? 'literal'}:${name}:${operation}`);
      });
      const topics = [kafka.topics.orders, kafka.topics.incidences, kafka.topics.deadLetter];
      expect(granted.sort()).toEqual(topics.flatMap((topic) => ['Describe', 'DescribeConfigs', 'Write'].map((operation) => `topic:literal:${topic}:${operation}`)).sort());
    });

    it('base: the image is the one the project builds, at its version', async () => {
      const version = (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
      expect(relayContainer(only(rendered['base']!, 'Deployment'))['image']).toBe(`dropea-relay:${version}`);
    });
  });

  describe('docker-compose.yml', () => {
    let compose: Obj;

    beforeAll(async () => {
      compose = parse(await readFile(join(REPO, 'docker-compose.yml'), 'utf8')) as Obj;
    });

    /** The value Compose gives `${NAME:-default}` when NAME is unset (https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/). */
    function interpolated(value: unknown): string {
      return String(value).replace(/\$\{[A-Z0-9_]+(?::?-([^}]*))?\}/g, (_whole, fallback: string | undefined) => fallback ?? '');
    }

    it('runs Apache Kafka (KRaft, the official image, the version the tests run) and the relay built from the Dockerfile, both with healthchecks and a restart policy', async () => {
      const pom = await readFile(join(REPO, 'scripts/kafka/pom.xml'), 'utf8');
      const kafkaVersion = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)![1];
      const { kafka, relay } = compose['services'];
      expect(kafka['image']).toBe(`apache/kafka:${kafkaVersion}`);
      expect(kafka['environment']['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
      expect(relay['build']).toBe('.');
      for (const service of [kafka, relay]) {
        expect(service['healthcheck']['test'].length).toBeGreaterThan(1);
        expect(service['restart']).toBe('unless-stopped');
      }
      expect(relay['healthcheck']['test'].join(' ')).toContain('http://127.0.0.1:3000/health/ready');
      expect(relay['depends_on']).toEqual({ kafka: { condition: 'service_healthy' } });
    });

    it('sets only variables the relay reads, with values it accepts, and gives its drain time before the kill', () => {
      const relay = compose['services']['relay'];
      const env = Object.fromEntries(Object.entries(relay['environment'] as Record<string, unknown>).map(([key, value]) => [key, interpolated(value)]));
      expect(unknownNames(Object.keys(env), relayNames)).toEqual([]);
      const config = loadRelayConfig(env);
      expect(config.kafka.brokers).toEqual(['kafka:9092']);
      const [, seconds] = /^(\d+)s$/.exec(relay['stop_grace_period']) ?? [];
      expect(Number(seconds) * 1000).toBeGreaterThan(config.http.shutdownTimeoutMs);
      // The spool has a named volume of its own, and nothing else is writable.
      expect(relay['volumes']).toEqual([`relay-spool:${config.kafka.spool!.dir}`]);
      expect(relay).toMatchObject({ read_only: true, tmpfs: ['/tmp'], cap_drop: ['ALL'] });
    });
  });

  describe('Dockerfile', () => {
    it("gives local runs and the bench the image's V8 heap and allocator settings (docs/benchmarks.md, Memory)", () => {
      // V8 sizes its heap from the machine's memory unless told, and glibc keeps freed blocks
      // unless told: a run outside the container with other settings would measure another relay.
      const startLocal = readFileSync(join(REPO, 'scripts/start-local.sh'), 'utf8');
      expect(startLocal).toContain(`NODE_OPTIONS="\${NODE_OPTIONS:-${IMAGE_NODE_OPTIONS}}"`);
      expect(startLocal).toContain(`GLIBC_TUNABLES="\${GLIBC_TUNABLES:-${IMAGE_GLIBC_TUNABLES}}"`);
      const bench = readFileSync(join(REPO, 'bench/run.mjs'), 'utf8');
      expect(bench).toContain(`const RELAY_NODE_OPTIONS = '${IMAGE_NODE_OPTIONS}';`);
      expect(bench).toContain(`const RELAY_GLIBC_TUNABLES = '${IMAGE_GLIBC_TUNABLES}';`);
    });

    it('builds in stages and ends on a small non-root image running node dist/main.js with production dependencies only', () => {
      expect(stages.length).toBeGreaterThanOrEqual(2);
      const final = stages.at(-1)!;
      expect(final.from).toMatch(/^gcr\.io\/distroless\/nodejs\$\{NODE_MAJOR\}-debian12:nonroot$/);
      expect(argsOf(final, 'ENTRYPOINT')).toEqual(['["/nodejs/bin/node"]']);
      expect(argsOf(final, 'CMD')).toEqual(['["dist/main.js"]']);
      expect(argsOf(final, 'ENV')).toContain(`NODE_OPTIONS="${IMAGE_NODE_OPTIONS}"`);
      expect(argsOf(final, 'ENV')).toContain(`GLIBC_TUNABLES="${IMAGE_GLIBC_TUNABLES}"`);
      expect(argsOf(final, 'EXPOSE')).toEqual(['3000']);
      // node_modules comes only from a stage that installed production dependencies.
      const copies = argsOf(final, 'COPY');
      const modules = copies.filter((args) => /\snode_modules\b|\/node_modules\s/.test(args));
      expect(modules).toHaveLength(1);
      const depsStage = stages.find((stage) => stage.name === /--from=(\S+)/.exec(modules[0]!)?.[1])!;
      expect(argsOf(depsStage, 'RUN').join(' ')).toMatch(/npm ci --omit=dev --ignore-scripts/);
      expect(copies.filter((args) => !args.startsWith('--from='))).toEqual([]);
    });

    it("labels the image with the relay's one version, package.json's, and its licence", async () => {
      const { version, license } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string; license: string };
      const final = stages.at(-1)!;
      expect(argsOf(final, 'ARG')).toContain(`VERSION=${version}`);
      const labels = argsOf(final, 'LABEL').join(' ');
      expect(labels).toContain('org.opencontainers.image.version="${VERSION}"');
      expect(labels).toContain(`org.opencontainers.image.licenses="${license}"`);
      expect(license).toBe('Apache-2.0');
      // The manifests deploy that release unless told otherwise.
      expect(await readFile(join(REPO, 'deploy/kubernetes/base/kustomization.yaml'), 'utf8')).toContain(`newTag: ${version}`);
    });

    it('has a build context of exactly what it copies (.dockerignore)', async () => {
      const ignore = (await readFile(join(REPO, '.dockerignore'), 'utf8'))
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#'));
      expect(ignore[0]).toBe('*');
      const allowed = ignore.filter((line) => line.startsWith('!')).map((line) => line.slice(1));
      const copied = stages
        .flatMap((stage) => argsOf(stage, 'COPY'))
        .filter((args) => !args.startsWith('--from='))
        .flatMap((args) => args.split(/\s+/).slice(0, -1));
      expect([...new Set(copied)].sort()).toEqual([...allowed].sort());
      for (const path of allowed) expect(existsSync(join(REPO, path))).toBe(true);
    });

    it("the final image's files (package.json, npm ci --omit=dev as the Dockerfile runs it, dist/) serve webhooks into Kafka and exit 0 on SIGTERM", async () => {
      expect(existsSync(join(REPO, 'dist/main.js'))).toBe(true); // built by `npm test`
      const app = await mkdtemp(join(tmpdir(), 'dropea-relay-image-'));
      try {
        await cp(join(REPO, 'package.json'), join(app, 'package.json'));
        await cp(join(REPO, 'package-lock.json'), join(app, 'package-lock.json'));
        const install = argsOf(stages.find((stage) => stage.name === 'deps')!, 'RUN')
          .join(' ')
          .replace(/--mount=\S+/g, '')
          .trim()
          .split(/\s+/);
        expect(install.slice(0, 2)).toEqual(['npm', 'ci']);
        // The packages are in npm's cache after the repository's own `npm ci`.
        const installed = await run('npm', [...install.slice(1), '--prefer-offline'], { cwd: app });
        expect({ code: installed.code, output: installed.output.slice(-2000) }).toMatchObject({ code: 0 });
        await rm(join(app, 'package-lock.json'));
        await cp(join(REPO, 'dist'), join(app, 'dist'), { recursive: true });
        // No development dependency (test runner, compiler) came along.
        for (const dev of ['jest', '@swc/core', '@bufbuild/buf']) expect(existsSync(join(app, 'node_modules', dev))).toBe(false);

        // ENV name=value, the value in double quotes when it holds a space (none here holds a quote).
        const imageEnv = Object.fromEntries(
          argsOf(stages.at(-1)!, 'ENV').map((args) => [args.slice(0, args.indexOf('=')), args.slice(args.indexOf('=') + 1).replace(/^"(.*)"$/, '$1')]),
        );
        const topics = uniqueTopics('deploy');
        const child = spawn(process.execPath, ['dist/main.js'], {
          cwd: app,
          env: {
            PATH: process.env['PATH'] ?? '',
            ...imageEnv,
            ...topics,
            KAFKA_BROKERS: TEST_BROKER,
            KAFKA_CREATE_TOPICS: 'true',
            HOST: '127.0.0.1',
            PORT: '0',
            DROPEA_API_KEYS: 'deploy-test-key',
            DROPEA_SIGNATURE_MODE: 'required',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        try {
          const url = await new Promise<string>((resolve, reject) => {
            const onData = (chunk: Buffer): void => {
              output += chunk.toString();
              const port = /Listening on http:\/\/[^\s:"]+:(\d+)/.exec(output)?.[1];
              if (port) resolve(`http://127.0.0.1:${port}`);
            };
            child.stdout.on('data', onData);
            child.stderr.on('data', onData);
            void exited.then((code) => reject(new Error(`relay exited with ${code} before listening:\n${output}`)));
          });
          await waitUntilReady(url);
          const body = JSON.stringify({
            topic: 'order:status_update',
            order_id: 700_000 + Math.floor(Math.random() * 1000),
            prev_status: 'confirmed',
            new_status: `deploy-${randomUUID().slice(0, 8)}`,
            updated_at: '2026-11-22 10:00:00',
          });
          const reply = await post(`${url}/webhooks/dropea/orders`, body, { headers: { 'x-dropea-hmac-sha256': sign(body, 'deploy-test-key') } });
          if (reply.status !== 202) throw new Error(`expected 202, got ${reply.status} ${JSON.stringify(reply.body)}; the relay printed:\n${output.slice(-3000)}`);
          expect(reply.body).toMatchObject({ status: 'published', topic: topics['KAFKA_TOPIC_ORDERS'] });
          child.kill('SIGTERM');
          expect(await exited).toBe(0);
        } finally {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGKILL');
            await exited;
          }
        }
      } finally {
        await rm(app, { recursive: true, force: true });
      }
    }, 180_000);
  });
});
