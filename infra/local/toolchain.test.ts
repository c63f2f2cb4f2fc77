import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ToolchainError } from './errors.ts';
import { CASSANDRA_JDK, chooseJdk, findJdkFor, type Jdk, jdkCandidates, REGISTRY_JDK } from './toolchain.ts';

const jdk = (major: number, java = `/jvm/${major}/bin/java`): Jdk => ({
  java,
  major,
  version: `${major}.0.1`,
});

describe('chooseJdk', () => {
  it('takes the newest JDK that fits, whatever the order found', () => {
    const found = [jdk(17), undefined, jdk(25), jdk(21), jdk(11)];

    expect(chooseJdk(found, REGISTRY_JDK)?.major).toBe(25);
    expect(chooseJdk(found, CASSANDRA_JDK)?.major).toBe(17);
  });

  it('finds none when nothing fits', () => {
    expect(chooseJdk([jdk(17), jdk(11)], REGISTRY_JDK)).toBeUndefined();
    expect(chooseJdk([], CASSANDRA_JDK)).toBeUndefined();
  });

  it('fits the registry on 21 and newer only: its classes are version 65', () => {
    expect([11, 17, 20, 21, 25].map((major) => REGISTRY_JDK.fits(major))).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
  });
});

describe('finding a JDK under the JVM folder', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'jvm-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** A JDK home whose `bin/java -version` prints what that major's real one prints. */
  async function fakeJdk(name: string, version: string): Promise<string> {
    const home = join(root, name);
    await mkdir(join(home, 'bin'), { recursive: true });
    const java = join(home, 'bin', 'java');
    await writeFile(java, `#!/bin/sh\necho 'openjdk version "${version}" 2025-09-16' >&2\n`);
    await chmod(java, 0o755);
    return home;
  }

  it('lists the homes that hold a bin/java, in name order', async () => {
    await fakeJdk('temurin-25-jdk-amd64', '25.0.3');
    await fakeJdk('java-17-openjdk-amd64', '17.0.15');
    await mkdir(join(root, 'not-a-jdk'));

    expect(jdkCandidates([root, join(root, 'missing')])).toEqual([
      join(root, 'java-17-openjdk-amd64'),
      join(root, 'temurin-25-jdk-amd64'),
    ]);
  });

  it('finds a Temurin 25 for the registry when the default Java is 17', async () => {
    const temurin = await fakeJdk('temurin-25-jdk-amd64', '25.0.3');
    await fakeJdk('java-17-openjdk-amd64', '17.0.15');

    const found = await findJdkFor(REGISTRY_JDK, jdk(17), undefined, [root]);

    expect(found).toEqual({ java: join(temurin, 'bin', 'java'), major: 25, version: '25.0.3' });
  });

  it('uses the default Java when it fits, without searching', async () => {
    await fakeJdk('temurin-25-jdk-amd64', '25.0.3');
    const defaultJdk = jdk(21, 'java');

    expect(await findJdkFor(REGISTRY_JDK, defaultJdk, undefined, [root])).toBe(defaultJdk);
  });

  it('uses the JDK its setting names, and refuses one that does not fit, naming the setting', async () => {
    const temurin = await fakeJdk('temurin-25-jdk-amd64', '25.0.3');
    const old = await fakeJdk('java-17-openjdk-amd64', '17.0.15');

    const chosen = await findJdkFor(REGISTRY_JDK, jdk(17), temurin, [root]);
    const refused = findJdkFor(REGISTRY_JDK, jdk(25), old, [root]);

    expect(chosen.major).toBe(25);
    await expect(refused).rejects.toBeInstanceOf(ToolchainError);
    await expect(refused).rejects.toThrow(
      `REGISTRY_JAVA_HOME=${old} is not a Java 21 or newer JDK (found 17.0.15)`,
    );
  });

  it('says what to install and which setting to set when no JDK fits', async () => {
    await fakeJdk('java-17-openjdk-amd64', '17.0.15');

    const attempt = findJdkFor(REGISTRY_JDK, jdk(17), undefined, [root]);

    await expect(attempt).rejects.toMatchObject({ code: 'TOOLCHAIN_MISSING', retryable: false });
    await expect(attempt).rejects.toThrow(
      /needs Java 21 or newer, but the default Java is 17\.0\.1 and no such JDK was found under .*Install a JDK 21 or newer.*Temurin.*REGISTRY_JAVA_HOME/,
    );
  });
});
