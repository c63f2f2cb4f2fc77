import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOutputs } from '../check.ts';
import { resultsSchema } from '../lib/results.ts';
import { InvalidResultsError } from './errors.ts';
import { readHistory } from './history.ts';
import { sampleQuickResults, sampleResults } from './sample.ts';
import { runFileName, writeReport } from './write.ts';

describe('writeReport', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-report-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const read = (name: string) => readFile(join(dir, name), 'utf8');

  it('writes the JSON, markdown and SVG that the smoke test accepts, and no history', async () => {
    const written = await writeReport(sampleQuickResults(), dir, { history: false });

    expect(written).toEqual({
      json: join(dir, 'latest.json'),
      md: join(dir, 'latest.md'),
      svg: join(dir, 'latest.svg'),
    });
    const json = await read('latest.json');
    expect(resultsSchema.parse(JSON.parse(json))).toEqual(sampleQuickResults());
    expect(json).toContain('\n  "schemaVersion": 1,\n');
    expect(checkOutputs({ json, md: await read('latest.md'), svg: await read('latest.svg') })).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['latest.json', 'latest.md', 'latest.svg']);
  });

  it('records a run: appends it to the history, shows the history, and keeps a copy of the JSON', async () => {
    const first = { ...sampleResults(), startedAt: '2026-11-23T07:30:00.000Z', label: 'before' };

    await writeReport(first, dir, { history: true });
    const written = await writeReport(sampleResults(), dir, { history: true });

    expect(written.history).toBe(join(dir, 'history.jsonl'));
    expect(written.run).toBe(join(dir, 'runs', '20261124T073012Z-full.json'));
    expect((await readHistory(join(dir, 'history.jsonl'))).map((e) => e.label)).toEqual([
      'before',
      'sink: prepared statements, concurrency 64',
    ]);
    const md = await read('latest.md');
    expect(md).toContain('## History\n\n2 runs, newest first.');
    expect(await readdir(join(dir, 'runs'))).toEqual([
      '20261123T073000Z-full.json',
      '20261124T073012Z-full.json',
    ]);
  });

  it('keeps a copy of an unrecorded run only when asked', async () => {
    const written = await writeReport(sampleQuickResults(), dir, { history: false, keepRun: true });

    expect(written.run).toBe(join(dir, 'runs', '20261124T073012Z-quick.json'));
    expect(written.history).toBeUndefined();
  });

  it('rejects invalid results and writes nothing', async () => {
    const results = sampleResults();
    const [, store] = results.stages;
    if (store) store.ratio = Number.NaN;
    const out = join(dir, 'out');

    const write = writeReport(results, out, { history: true });

    await expect(write).rejects.toThrow(InvalidResultsError);
    await expect(write).rejects.toThrow(/stages\[1\]\.ratio/);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });
});

describe('runFileName', () => {
  it('compacts the start time so names sort by it', () => {
    expect(runFileName({ startedAt: '2026-01-02T03:04:05.678Z', mode: 'quick' })).toBe(
      '20260102T030405Z-quick.json',
    );
  });
});
