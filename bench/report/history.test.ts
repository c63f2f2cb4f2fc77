import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryLineError, InvalidHistoryEntryError } from './errors.ts';
import { appendHistory, historyEntry, parseHistory, readHistory } from './history.ts';
import { sampleResults } from './sample.ts';

const entry = historyEntry(sampleResults());
const line = JSON.stringify(entry);

describe('historyEntry', () => {
  it('keeps each stage, baseline and target number by id', () => {
    expect(entry).toEqual({
      startedAt: '2026-11-24T07:30:12.345Z',
      commit: '297d9d933b1b3d5cfe479dfcb26812dea3f6fbf4',
      mode: 'full',
      label: 'sink: prepared statements, concurrency 64',
      stages: { fetch: 47_619.05, store: 41_666.67, relay: 76_923.08, sink: 13_888.89 },
      baselines: {
        'kafka-producer': 140_845.07,
        'kafka-consumer': 227_272.73,
        'cassandra-insert': 17_241.38,
        'cassandra-batch': 27_777.78,
        'postgres-bulk': 62_500,
      },
      targets: {
        'store-vs-copy': 0.6667,
        'relay-vs-producer': 0.5462,
        'sink-vs-insert': 0.8056,
        'p99-low-latency': 176.5,
        'console-cost': 0.9847,
        'console-first-paint': 212.4,
      },
      serialLimit: 11_695.91,
      cpuPerThousand: { sink: 405, 'low-latency': 620, 'aws-defaults': 760 },
    });
  });

  it('leaves out the serial limit and the CPU where the run did not measure them', () => {
    const results = sampleResults();
    results.serialLimit = undefined;
    for (const part of [...results.stages, ...results.endToEnd]) part.cpu = undefined;

    const bare = historyEntry(results);

    expect(bare).not.toHaveProperty('serialLimit');
    expect(bare).not.toHaveProperty('cpuPerThousand');
    expect(parseHistory(JSON.stringify(bare), 'h')).toEqual([bare]);
  });
});

describe('parseHistory', () => {
  it('reads one entry per line, skipping blank lines', () => {
    const entries = parseHistory(`${line}\n\n${line}\r\n`, 'history.jsonl');

    expect(entries).toEqual([entry, entry]);
  });

  it('names the line that is not JSON', () => {
    const parse = () => parseHistory(`${line}\n${line}\n{"startedAt":`, 'history.jsonl');

    expect(parse).toThrow(HistoryLineError);
    expect(parse).toThrow(/^history\.jsonl, line 3: not valid JSON$/);
  });

  it('names the line that is not a history entry, and what is wrong with it', () => {
    const { commit: _, ...withoutCommit } = entry;

    let error: unknown;
    try {
      parseHistory(`${line}\n${JSON.stringify(withoutCommit)}\n`, 'h.jsonl');
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(HistoryLineError);
    expect(error).toMatchObject({ file: 'h.jsonl', line: 2, retryable: false });
    expect(String(error)).toContain('h.jsonl, line 2: not a history entry (commit:');
  });
});

describe('history files', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-history-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a missing file as an empty history', async () => {
    expect(await readHistory(join(dir, 'none.jsonl'))).toEqual([]);
  });

  it('appends JSON lines, creating the folder, and reads them back in order', async () => {
    const path = join(dir, 'nested', 'history.jsonl');
    const second = { ...entry, label: 'second' };

    await appendHistory(path, entry);
    await appendHistory(path, second);

    expect(await readFile(path, 'utf8')).toBe(`${line}\n${JSON.stringify(second)}\n`);
    expect(await readHistory(path)).toEqual([entry, second]);
  });

  it('starts a new line when the file lost its final newline', async () => {
    const path = join(dir, 'history.jsonl');
    await writeFile(path, line);

    await appendHistory(path, entry);

    expect(await readHistory(path)).toEqual([entry, entry]);
  });

  it('refuses an invalid entry and leaves the file as it was', async () => {
    const path = join(dir, 'history.jsonl');
    await writeFile(path, `${line}\n`);

    const append = appendHistory(path, { ...entry, stages: { sink: Number.NaN } });

    await expect(append).rejects.toThrow(InvalidHistoryEntryError);
    await expect(append).rejects.toThrow(/stages\.sink/);
    expect(await readFile(path, 'utf8')).toBe(`${line}\n`);
  });

  it('reports a malformed line of a file with its path and line number', async () => {
    const path = join(dir, 'history.jsonl');
    await writeFile(path, `${line}\nnot json\n`);

    await expect(readHistory(path)).rejects.toThrow(`${path}, line 2: not valid JSON`);
  });
});
