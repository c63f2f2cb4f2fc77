import { describe, expect, it } from 'vitest';
import { limits } from '../../lib/topology.ts';
import { cassandraYaml, kafkaServerProperties, loadStackConfig } from './config.ts';
import { foldMavenLine } from './jars.ts';
import { newKafkaClusterId, parseProperties } from './services.ts';
import { corruptionEvidence } from './stack.ts';
import { formatBytes, formatDuration, renderTable } from './table.ts';
import { parseJavaVersion, parseMavenVersion } from './toolchain.ts';

describe('toolchain version parsing', () => {
  it('reads modern and legacy java -version output', () => {
    expect(parseJavaVersion('openjdk version "17.0.15" 2025-04-15')).toEqual({
      major: 17,
      version: '17.0.15',
    });
    expect(parseJavaVersion('openjdk version "25" 2025-09-16')).toEqual({ major: 25, version: '25' });
    expect(parseJavaVersion('java version "1.8.0_392"')?.major).toBe(8);
    expect(parseJavaVersion('bash: java: not found')).toBeUndefined();
  });

  it('reads mvn -v output', () => {
    expect(parseMavenVersion('\u001b[1mApache Maven 3.8.7\u001b[m\nMaven home: /usr/share/maven')).toEqual([
      3, 8, 7,
    ]);
    expect(parseMavenVersion('command not found')).toBeUndefined();
  });
});

describe('maven progress', () => {
  it('counts started and finished downloads and their sizes', () => {
    const lines = [
      '[INFO] Downloading from central: https://repo/x/a.jar',
      '[INFO] Downloading from central: https://repo/x/b.jar',
      '[INFO] Downloaded from central: https://repo/x/a.jar (1.5 MB at 3.0 MB/s)',
      'Downloaded from central: https://repo/x/b.jar (512 kB at 1.0 MB/s)',
      '[INFO] BUILD SUCCESS',
    ];

    const progress = lines.reduce(foldMavenLine, { started: 0, finished: 0, bytes: 0 });

    expect(progress).toEqual({ started: 2, finished: 2, bytes: 1_500_000 + 512_000 });
  });
});

describe('generated server configuration', () => {
  const cfg = loadStackConfig({ LOCAL_STACK_DIR: '/tmp/state', KAFKA_PORT: '19092' });

  it('makes a single-node KRaft broker on the configured ports', () => {
    const props = parseProperties(kafkaServerProperties(cfg, '/tmp/state/kafka/data'));

    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:9093');
    expect(props.get('advertised.listeners')).toContain('CONTROLLER://127.0.0.1:9093');
    expect(props.get('log.dirs')).toBe('/tmp/state/kafka/data');
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
  });

  it('writes every mandatory cassandra.yaml key, with state under the given root', () => {
    const yaml = cassandraYaml(cfg, '/tmp/state/cassandra');

    for (const key of ['commitlog_sync:', 'partitioner:', 'endpoint_snitch:', 'seed_provider:']) {
      expect(yaml).toContain(key);
    }
    expect(yaml).toContain('native_transport_port: 9042');
    expect(yaml).toContain('commitlog_directory: /tmp/state/cassandra/commitlog');
  });

  it('has Cassandra acknowledge a write only once its commit log entry is synced, so a SIGKILL loses none', () => {
    const yaml = cassandraYaml(cfg, '/tmp/state/cassandra');

    expect(yaml).toMatch(/^commitlog_sync: batch$/m);
    expect(yaml).not.toMatch(/^commitlog_sync_period:/m);
  });

  it('takes the batches Keyspaces takes without a warning: as many partitions, and rows of up to 4 KiB', () => {
    const yaml = cassandraYaml(cfg, '/tmp/state/cassandra');
    const rows = limits.keyspacesMaxBatch;

    expect(yaml).toMatch(new RegExp(`^unlogged_batch_across_partitions_warn_threshold: ${rows}$`, 'm'));
    const kib = (key: string) => Number(new RegExp(`^${key}: (\\d+)KiB$`, 'm').exec(yaml)?.[1]);
    // A created_users row of the fixtures is about 1.4 KiB; Cassandra's defaults are 5 and 50 KiB.
    expect(kib('batch_size_warn_threshold')).toBeGreaterThanOrEqual(rows * 4);
    expect(kib('batch_size_fail_threshold')).toBeGreaterThan(kib('batch_size_warn_threshold'));
  });

  it('rejects an invalid setting with its name', () => {
    expect(() => loadStackConfig({ CASSANDRA_PORT: 'nine' })).toThrow(/CASSANDRA_PORT/);
    expect(() => loadStackConfig({ KAFKA_HEAP: 'lots' })).toThrow(/KAFKA_HEAP/);
  });
});

describe('helpers', () => {
  it('makes Kafka cluster ids of 22 URL-safe characters', () => {
    const id = newKafkaClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newKafkaClusterId()).not.toBe(id);
  });

  it('never starts a Kafka cluster id with "-", which the storage tool would read as an option', () => {
    // 0xf8 encodes to "-" as the first base64url character; the second draw starts with 0x00, "A".
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0)];
    const id = newKafkaClusterId(() => draws.shift() ?? Buffer.alloc(16, 1));
    expect(Buffer.alloc(16, 0xf8).toString('base64url')).toMatch(/^-/);
    expect(id).toBe(Buffer.alloc(16, 0).toString('base64url'));
    expect(draws).toEqual([]);
  });

  it('renders an aligned table and human sizes', () => {
    expect(renderTable(['a', 'bb'], [['xyz', '1']])).toBe('a    bb\n---  --\nxyz  1');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.50 GiB');
    expect(formatBytes(300 * 1024 ** 2)).toBe('300 MiB');
    expect(formatDuration(3_725_000)).toBe('1h02m');
  });
});

describe('corruption evidence in a start-up log', () => {
  const service = { corruptPatterns: [/CorruptSSTableException/], dataDir: '/state/cassandra/data' };

  it('finds a known pattern or an error that names the data directory, and nothing in a clean log', () => {
    const known =
      'INFO boot\nERROR org.apache.cassandra.io.sstable.CorruptSSTableException: nb-1-big\nINFO bye';
    const inDir = 'INFO boot\njava.io.IOException: bad header in /state/cassandra/data/system/x.db\n';
    const clean = 'INFO boot\nERROR could not bind 9042\n';

    expect(corruptionEvidence(service, known)).toBe(
      'ERROR org.apache.cassandra.io.sstable.CorruptSSTableException: nb-1-big',
    );
    expect(corruptionEvidence(service, inDir)).toBe(
      'java.io.IOException: bad header in /state/cassandra/data/system/x.db',
    );
    expect(corruptionEvidence(service, clean)).toBeUndefined();
  });
});
