import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSegment, partitionDir, partitionDirs, readTopicBytes } from './log-dirs.ts';

describe('partitionDir', () => {
  it('reads the topic and partition, the topic keeping its own dashes and dots', () => {
    expect(partitionDir('users_created-3')).toEqual({ topic: 'users_created', partition: 3 });
    expect(partitionDir('run-a1_users.dlq-0')).toEqual({ topic: 'run-a1_users.dlq', partition: 0 });
  });

  it("leaves out a deleted topic's, a moving replica's and the broker's own files", () => {
    const others = [
      'users_created-0.8f2c6e3b1c9d4c0e9a8b7f6e5d4c3b2a-delete',
      'users_created-0.8f2c6e3b1c9d4c0e9a8b7f6e5d4c3b2a-future',
      'meta.properties',
      'recovery-point-offset-checkpoint',
      '-1',
    ];

    expect(others.map(partitionDir)).toEqual(others.map(() => undefined));
  });
});

describe('isSegment', () => {
  it('counts the segments, not their preallocated indexes or files being deleted or swapped', () => {
    const files = [
      '00000000000000000000.log',
      '00000000000000000000.index',
      '00000000000000000000.timeindex',
      '00000000000000000000.log.deleted',
      '00000000000000000000.log.swap',
      'leader-epoch-checkpoint',
      'partition.metadata',
    ];

    expect(files.filter(isSegment)).toEqual(['00000000000000000000.log']);
  });
});

describe('partitionDirs', () => {
  it("groups the asked topics' partition directories by topic, and nothing else", () => {
    const entries = ['a-0', 'a-1', 'a-b-0', 'c-0', '__cluster_metadata-0', 'meta.properties'];

    const found = partitionDirs(entries, ['a', 'a-b', 'missing']);

    expect(
      Object.fromEntries([...found].map(([topic, parts]) => [topic, Object.fromEntries(parts)])),
    ).toEqual({ a: { 0: 'a-0', 1: 'a-1' }, 'a-b': { 0: 'a-b-0' } });
  });
});

describe('readTopicBytes', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** A log dir holding `files` (path → size), as a broker lays it out. */
  function logDir(files: Record<string, number>): string {
    const root = mkdtempSync(join(tmpdir(), 'log-dirs-'));
    dirs.push(root);
    for (const [path, size] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), Buffer.alloc(size));
    }
    return root;
  }

  it("sums each partition's segments, leaving the indexes out", async () => {
    const root = logDir({
      't-0/00000000000000000000.log': 1000,
      't-0/00000000000000000000.index': 10_485_760,
      't-0/00000000000000000042.log': 24,
      't-1/00000000000000000000.log': 0,
      't-1/00000000000000000000.timeindex': 10_485_756,
      'u-0/00000000000000000000.log': 7,
    });

    const sizes = await readTopicBytes(root, ['t']);

    expect(sizes).toEqual(
      new Map([
        [
          't',
          new Map([
            [0, 1024],
            [1, 0],
          ]),
        ],
      ]),
    );
  });

  it('gives null for a topic with no directory, and for every topic when the log dir cannot be read', async () => {
    const root = logDir({ 't-0/00000000000000000000.log': 5 });

    const some = await readTopicBytes(root, ['t', 'gone']);
    const none = await readTopicBytes(join(root, 'nowhere'), ['t']);

    expect(some.get('t')).toEqual(new Map([[0, 5]]));
    expect(some.get('gone')).toBeNull();
    expect(none).toEqual(new Map([['t', null]]));
  });
});
