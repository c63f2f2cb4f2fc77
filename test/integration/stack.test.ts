/**
 * The local stack against its real servers: Kafka, Cassandra, PostgreSQL and the Schema Registry answer, `up` is
 * idempotent, data survives `down` + `up`, and a foreign process on a stack port is reported clearly. The
 * registry's own API is tested in registry.test.ts.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackError } from '../../infra/local/errors.ts';
import { isAlive } from '../../infra/local/proc.ts';
import { cassandraFlusher, services } from '../../infra/local/services.ts';
import { status, up } from '../../infra/local/stack.ts';
import { repoRoot } from '../../lib/paths.ts';
import {
  cassandraClient,
  consumeFromStart,
  createTopic,
  kafkaClient,
  postgresClient,
  produce,
  stackConfig,
  uniqueName,
} from '../helpers/stack.ts';

const run = promisify(execFile);
const cfg = stackConfig();

/** Runs `npm run stack:<command>` as a user would; never throws, returns the exit code and output. */
async function stackCli(command: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'infra/local/cli.ts', command],
      { cwd: repoRoot },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('local stack', () => {
  const keyspace = uniqueName('it_stack');

  beforeAll(async () => {
    const cql = cassandraClient(cfg);
    await cql.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    await cql.execute(`CREATE TABLE IF NOT EXISTS ${keyspace}.kv (k text PRIMARY KEY, v text)`);
    await cql.shutdown();
  });

  afterAll(async () => {
    const cql = cassandraClient(cfg);
    await cql.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
    await cql.shutdown();
  });

  it('produces and consumes through kafkajs', async () => {
    const kafka = kafkaClient(cfg);
    const topic = uniqueName('it-produce');
    await createTopic(topic, 3, cfg);
    const sent = new Map(Array.from({ length: 50 }, (_, i) => [`key-${i}`, `value-${i}-ü-سلام`] as const));
    await produce(
      kafka,
      topic,
      [...sent].map(([key, value]) => ({ key, value })),
    );

    const received = await consumeFromStart(kafka, topic, sent.size);

    expect(received).toEqual(sent);
  });

  it('writes and reads Cassandra and PostgreSQL', async () => {
    const cql = cassandraClient(cfg, keyspace);
    const sql = postgresClient(cfg);
    await sql.connect();
    const table = uniqueName('it_rw');
    try {
      await cql.execute('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 'Ærø-فارسی'], { prepare: true });
      await sql.query(`CREATE TABLE ${table} (k text primary key, v text)`);
      await sql.query(`INSERT INTO ${table} VALUES ($1, $2)`, ['a', 'Ærø-فارسی']);

      const cassandraRow = await cql.execute('SELECT v FROM kv WHERE k = ?', ['a'], { prepare: true });
      const postgresRow = await sql.query(`SELECT v FROM ${table} WHERE k = $1`, ['a']);

      expect(cassandraRow.first()?.get('v')).toBe('Ærø-فارسی');
      expect(postgresRow.rows).toEqual([{ v: 'Ærø-فارسی' }]);
    } finally {
      await sql.query(`DROP TABLE IF EXISTS ${table}`);
      await sql.end();
      await cql.shutdown();
    }
  });

  it("cassandraFlusher writes the node's memtables to sstables at each call, and names the port when the node is not there", async () => {
    const cql = cassandraClient(cfg, keyspace);
    const table = uniqueName('it_flush');
    const flush = cassandraFlusher(cfg);
    const insert = (k: string) =>
      cql.execute(`INSERT INTO ${table} (k, v) VALUES (?, ?)`, [k, 'on disk'], { prepare: true });
    // A new table's rows stay in its memtable (and the commit log) until a flush writes an sstable.
    const keyspaceDir = join(services(cfg).cassandra.dataDir, keyspace);
    const dataFiles = () =>
      readdirSync(keyspaceDir)
        .filter((d) => d.startsWith(`${table}-`))
        .flatMap((d) => readdirSync(join(keyspaceDir, d)).filter((f) => f.endsWith('-Data.db')));
    try {
      await cql.execute(`CREATE TABLE ${table} (k text PRIMARY KEY, v text)`);
      await insert('first');
      await flush();
      const afterFirst = dataFiles().length;
      expect(afterFirst).toBeGreaterThan(0);

      // The second call runs on the JDK and jars the first one resolved.
      await insert('second');
      await flush();
      expect(dataFiles().length).toBeGreaterThan(afterFirst);
      const rows = await cql.execute(`SELECT k FROM ${table}`);
      expect(rows.rows.map((r) => r.get('k')).sort()).toEqual(['first', 'second']);
    } finally {
      await cql.execute(`DROP TABLE IF EXISTS ${table}`);
      await cql.shutdown();
    }

    const closed = await listen(0);
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = cassandraFlusher({ ...cfg, cassandra: { ...cfg.cassandra, jmxPort: port } })();
    await expect(refused).rejects.toBeInstanceOf(StackError);
    await expect(refused).rejects.toThrow(`nodetool flush on Cassandra's JMX port 127.0.0.1:${port} failed`);
  });

  it('reports every service healthy, with Kafka, Cassandra and the registry within the 3 GB memory budget', async () => {
    const rows = await status(cfg);

    expect(rows.map((r) => [r.service, r.health])).toEqual([
      ['kafka', 'healthy'],
      ['cassandra', 'healthy'],
      ['postgres', 'healthy'],
      ['registry', 'healthy'],
    ]);
    expect(rows.find((r) => r.service === 'cassandra')?.version).toBe(cfg.cassandra.version);
    expect(rows.find((r) => r.service === 'registry')?.version).toBe(cfg.registry.version);
    const jvmRss = rows
      .filter((r) => r.service !== 'postgres')
      .reduce((sum, r) => sum + (r.rssBytes ?? 0), 0);
    expect(jvmRss).toBeGreaterThan(0);
    expect(jvmRss).toBeLessThan(3 * 1024 ** 3);
  });

  it('stack:logs names each log file and shows its last lines', async () => {
    const { code, output } = await stackCli('logs');

    expect(code).toBe(0);
    expect(output).toContain(`==> kafka: ${cfg.stateDir}/kafka/kafka.log <==`);
    expect(output).toContain(`==> cassandra: ${cfg.stateDir}/cassandra/cassandra.log <==`);
    expect(output).toContain(`==> registry: ${cfg.stateDir}/registry/registry.log <==`);
    // Lines the servers themselves wrote (proves the log4j2 binding and logback config work).
    expect(output).toMatch(/INFO .*\(kafka\.|org\.apache\.kafka/);
    expect(output).toMatch(/INFO\s+\[\S+\] \d{4}-\d\d-\d\d/);
  });

  it('up while the stack is up changes nothing', async () => {
    const before = await status(cfg);

    const results = await up(cfg);
    const after = await status(cfg);

    expect(results.map((r) => r.outcome)).toEqual([
      'reused',
      'reused',
      expect.stringMatching(/reused|external/),
      'reused',
    ]);
    expect(after.map((r) => r.pid)).toEqual(before.map((r) => r.pid));
    expect(after.every((r) => r.health === 'healthy')).toBe(true);
  });

  it('keeps Kafka messages and Cassandra rows across down and up, and refuses a foreign process on 9042', async () => {
    const topic = uniqueName('it-durable');
    await createTopic(topic, 2, cfg);
    await produce(kafkaClient(cfg), topic, [{ key: 'durable', value: 'still here' }]);
    const cql = cassandraClient(cfg, keyspace);
    await cql.execute('INSERT INTO kv (k, v) VALUES (?, ?)', ['durable', 'still here'], { prepare: true });
    await cql.shutdown();
    const oldPids = (await status(cfg)).map((r) => r.pid).filter((p): p is number => p !== undefined);

    const downResult = await stackCli('down');
    const foreign = await listen(cfg.cassandra.port);
    let blocked: { code: number; output: string };
    try {
      blocked = await stackCli('up');
    } finally {
      await new Promise((r) => foreign.close(r));
    }
    const afterBlocked = await status(cfg);
    const upResult = await stackCli('up');

    expect(downResult.code).toBe(0);
    expect(oldPids.length).toBeGreaterThanOrEqual(2);
    expect(oldPids.some(isAlive)).toBe(false);
    expect(blocked.code).toBe(1);
    expect(blocked.output).toContain(`port ${cfg.cassandra.port} is already in use by another process`);
    // Nothing was half-started: the conflict is found before any server is launched.
    expect(afterBlocked.find((r) => r.service === 'kafka')?.health).toBe('stopped');
    expect(upResult.code).toBe(0);
    expect(upResult.output).toMatch(/kafka\s+\S+\s+started \(warm\)/);
    const received = await consumeFromStart(kafkaClient(cfg), topic, 1);
    expect(received.get('durable')).toBe('still here');
    const cqlAfter = cassandraClient(cfg, keyspace);
    const row = await cqlAfter.execute('SELECT v FROM kv WHERE k = ?', ['durable'], { prepare: true });
    await cqlAfter.shutdown();
    expect(row.first()?.get('v')).toBe('still here');
  });
});
