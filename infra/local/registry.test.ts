import { describe, expect, it } from 'vitest';
import { ports, registryDatabase } from '../../lib/topology.ts';
import {
  loadStackConfig,
  registryProperties,
  registrySettings,
  schemaRegistryUrl,
  serviceMarker,
} from './config.ts';
import { registryArgs, registryService } from './registry.ts';

const postgres = { host: '127.0.0.1', port: 5432, user: 'root', database: 'pipeline' };

describe('the Schema Registry settings', () => {
  it('defaults to the topology ports, a 256 MB heap and a database of its own', () => {
    const cfg = loadStackConfig({ LOCAL_STACK_DIR: '/tmp/state' });

    expect(cfg.registry).toMatchObject({
      host: '127.0.0.1',
      port: ports.registry,
      managementPort: ports.registryManagement,
      heap: '256m',
      database: registryDatabase,
      javaHome: undefined,
    });
    expect(cfg.registry.version).toMatch(/^3\.\d+\.\d+$/);
    expect(schemaRegistryUrl(cfg)).toBe(`http://127.0.0.1:${ports.registry}/apis/ccompat/v7`);
  });

  it('takes its ports, heap, database and JDK from the environment', () => {
    const cfg = loadStackConfig({
      REGISTRY_PORT: '18081',
      REGISTRY_MANAGEMENT_PORT: '18082',
      REGISTRY_HEAP: '384m',
      REGISTRY_PGDATABASE: 'registry_copy',
      REGISTRY_JAVA_HOME: '/usr/lib/jvm/temurin-25-jdk-amd64',
    });

    expect(cfg.registry).toMatchObject({
      port: 18081,
      managementPort: 18082,
      heap: '384m',
      database: 'registry_copy',
      javaHome: '/usr/lib/jvm/temurin-25-jdk-amd64',
    });
  });

  it('rejects an invalid setting with its name', () => {
    expect(() => loadStackConfig({ REGISTRY_PORT: '80800' })).toThrow(/REGISTRY_PORT/);
    expect(() => loadStackConfig({ REGISTRY_HEAP: 'a lot' })).toThrow(/REGISTRY_HEAP/);
    expect(() => loadStackConfig({ REGISTRY_JAVA_HOME: '' })).toThrow(/REGISTRY_JAVA_HOME/);
  });
});

describe('the Schema Registry command line', () => {
  const cfg = loadStackConfig({ LOCAL_STACK_DIR: '/tmp/state', REGISTRY_PORT: '18081' });
  const properties = registryProperties(cfg, postgres);
  const args = registryArgs(cfg, properties, '/jars/registry', '-Dmarker');

  it('binds both of its ports to 127.0.0.1: HTTP and the management interface', () => {
    expect(args).toContain('-Dquarkus.http.host=127.0.0.1');
    expect(args).toContain('-Dquarkus.http.port=18081');
    expect(args).toContain('-Dquarkus.management.host=127.0.0.1');
    expect(args).toContain(`-Dquarkus.management.port=${ports.registryManagement}`);
  });

  it("keeps its schemas in its own database on the stack's PostgreSQL, with a small pool", () => {
    expect(args).toContain('-Dapicurio.storage.kind=sql');
    expect(args).toContain('-Dapicurio.storage.sql.kind=postgresql');
    expect(args).toContain(`-Dapicurio.datasource.url=jdbc:postgresql://127.0.0.1:5432/${registryDatabase}`);
    expect(args).toContain('-Dapicurio.datasource.username=root');
    expect(Number(properties['apicurio.datasource.jdbc.max-size'])).toBeLessThanOrEqual(10);
    // The password, when the endpoint has one, goes through the environment, never the command line.
    expect(args.some((a) => a.includes('datasource.password'))).toBe(false);
  });

  it('runs the distribution with its heap, the marker before the jar, and every shared setting', () => {
    expect(args[0]).toBe('-Xmx256m');
    expect(args.slice(-2)).toEqual(['-jar', '/jars/registry/quarkus-run.jar']);
    expect(args.indexOf('-Dmarker')).toBeLessThan(args.indexOf('-jar'));
    for (const [key, value] of Object.entries(registrySettings())) {
      expect(args).toContain(`-D${key}=${value}`);
    }
  });

  it('is a service with its ports, its marker, and PostgreSQL to start after', () => {
    const service = registryService(cfg);

    expect(service.ports.map((p) => p.port)).toEqual([18081, ports.registryManagement]);
    expect(service.marker).toBe(serviceMarker('registry', '/tmp/state/registry'));
    expect(service.startsAfter).toBe('postgres');
    expect(service.endpoint).toEqual({ host: '127.0.0.1', port: 18081 });
  });
});
