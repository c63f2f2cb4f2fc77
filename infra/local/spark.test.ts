import { describe, expect, it } from 'vitest';
import { loadStackConfig } from './config.ts';
import { SERVICE_NAMES, services } from './services.ts';
import { SPARK_JDK17_OPTIONS, SPARK_SERVICE_NAMES, sparkEnv, sparkServices, sparkVersion } from './spark.ts';

const cfg = loadStackConfig({ LOCAL_STACK_DIR: '/tmp/stack', SPARK_MASTER_UI_PORT: '18090' });

describe('the Spark services of the stack', () => {
  it('are not started by default, only with --with-spark', () => {
    expect(SERVICE_NAMES).not.toEqual(expect.arrayContaining(['spark-master']));
    expect(Object.keys(services(cfg))).toEqual([...SERVICE_NAMES, ...SPARK_SERVICE_NAMES]);
  });

  it('run the Master on 7077 with its UI off 8080, and the Worker after it', () => {
    const { 'spark-master': master, 'spark-worker': worker } = sparkServices(cfg);

    expect(master.ports).toEqual([
      { port: 7077, what: 'master' },
      { port: 18090, what: 'master UI' },
    ]);
    expect(worker.ports).toEqual([{ port: 8091, what: 'worker UI' }]);
    expect(worker.startsAfter).toBe('spark-master');
    expect(master.marker).toBe('-Drealtime-user-pipeline.service=spark-master@/tmp/stack/spark/spark-master');
    expect(master.version).toBe(sparkVersion());
    expect(sparkVersion()).toMatch(/^3\.5\.\d+$/);
  });
});

describe('sparkEnv', () => {
  it('gives the Worker a SPARK_HOME, Scala 2.13 and the JDK it runs on, for the executors it launches', () => {
    const env = sparkEnv({ java: '/usr/lib/jvm/java-17/bin/java', major: 17, version: '17.0.15' }, '/h');

    expect(env).toMatchObject({
      SPARK_HOME: '/h',
      SPARK_SCALA_VERSION: '2.13',
      SPARK_LOCAL_IP: '127.0.0.1',
      JAVA_HOME: '/usr/lib/jvm/java-17',
    });
  });

  it('drops a JAVA_HOME that is not the JDK found on PATH', () => {
    const saved = process.env.JAVA_HOME;
    process.env.JAVA_HOME = '/opt/jdk-25';
    try {
      expect(sparkEnv({ java: 'java', major: 17, version: '17' }, '/h').JAVA_HOME).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = saved;
    }
  });

  it('opens the JDK 17 packages Spark reflects into', () => {
    expect(SPARK_JDK17_OPTIONS).toEqual(
      expect.arrayContaining([
        '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
        '--add-opens=java.base/java.lang.invoke=ALL-UNNAMED',
        '--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED',
        '-Djdk.reflect.useDirectMethodHandle=false',
      ]),
    );
  });
});
