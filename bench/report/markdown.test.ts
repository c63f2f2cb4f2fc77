import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../lib/results.ts';
import { historyEntry } from './history.ts';
import {
  consoleHeading,
  cpuHeading,
  historyLimit,
  renderMarkdown,
  serialLimitHeading,
  sparkPeerHeading,
  targetsTableHeader,
} from './markdown.ts';
import { sampleQuickResults, sampleResults } from './sample.ts';

/** The markdown table that follows `heading`, as its lines. */
function tableAfter(md: string, heading: string): string[] {
  const start = md.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = md.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rest = lines.slice(first);
  const end = rest.findIndex((l) => !l.startsWith('|'));
  return end === -1 ? rest : rest.slice(0, end);
}

function historyOf(count: number): HistoryEntry[] {
  const base = historyEntry(sampleResults());
  return Array.from({ length: count }, (_, i) => ({
    ...base,
    startedAt: new Date(Date.UTC(2026, 10, 1 + i, 9)).toISOString(),
    commit: `${String(i).padStart(2, '0')}${'a'.repeat(38)}`,
    label: `run ${i}`,
    stages: { ...base.stages, sink: 10_000 + i * 100 },
  }));
}

describe('renderMarkdown', () => {
  it('opens with the date, mode, commit, machine and tool versions', () => {
    const md = renderMarkdown(sampleResults(), []);

    const [title, , summary, label, tools] = md.split('\n');
    expect(title).toBe('# Benchmark 2026-11-24 07:30 UTC');
    expect(summary).toBe(
      '**full** run of `297d9d9` on **bench-runner-1: 8 cores, AMD EPYC 7B13, 31.3 GiB, Linux 6.8.0-1015-gcp x64**, took 21 min 8 s.\\',
    );
    expect(label).toBe('Label: sink: prepared statements, concurrency 64.\\');
    expect(tools).toBe('Tools: node v20.20.2 · kafka 4.1.0 · cassandra 5.0.4 · postgres 17.5 · java 21.0.7.');
  });

  it("states the machine's speed over the run, and warns when it moved", () => {
    const steady = renderMarkdown(
      {
        ...sampleResults(),
        machineSpeed: [
          { phase: 'baselines', probeMs: 60 },
          { phase: 'stages', probeMs: 63 },
        ],
      },
      [],
    );
    expect(steady.split('\n')[4]).toBe(
      'Tools: node v20.20.2 · kafka 4.1.0 · cassandra 5.0.4 · postgres 17.5 · java 21.0.7.\\',
    );
    expect(steady.split('\n')[5]).toBe(
      'Machine speed: the probe took 60 to 63 ms over 2 readings (spread 5%).',
    );
    expect(steady).not.toContain('**Warning:**');

    const drifting = renderMarkdown(
      {
        ...sampleResults(),
        machineSpeed: [
          { phase: 'baselines', probeMs: 60 },
          { phase: 'end to end', probeMs: 81 },
        ],
      },
      [],
    );
    expect(drifting).toContain(
      "Machine speed: the probe took 60 to 81 ms over 2 readings (spread 35%).\n\n> **Warning:** the machine's speed moved by 35% during the run",
    );

    // Runs recorded before the probe have no readings, and no line.
    expect(renderMarkdown(sampleResults(), [])).not.toContain('Machine speed');
  });

  it('flags a run with uncommitted changes', () => {
    const md = renderMarkdown(sampleQuickResults(), []);

    expect(md).toContain('**quick** run of `297d9d9` (with uncommitted changes)');
  });

  it('renders the targets table with goal, measured value and whether each was met', () => {
    const md = renderMarkdown(sampleResults(), []);

    const table = tableAfter(md, '## Targets');
    expect(md).toContain('5 of 6 met.');
    expect(table[0]).toBe(targetsTableHeader);
    expect(table).toContain('| relay vs Kafka producer (`relay-vs-producer`) | ≥ 0.60× | 0.55× | ❌ |');
    expect(table).toContain(
      '| end-to-end p99 at half load (low latency) (`p99-low-latency`) | ≤ 250 ms | 177 ms | ✅ |',
    );
    expect(table).toHaveLength(2 + 6);
  });

  it('renders the console phase: each round, the ratio per pair and its median, the CPU and the first paint', () => {
    const md = renderMarkdown(sampleResults(), []);

    const table = tableAfter(md, consoleHeading);
    expect(table[0]).toBe(
      '| Round | Console | Users/s | Console CPU ms/s | Snapshots | Scrapes | Cassandra CPU ms/s | Other CPU ms/s |',
    );
    expect(table).toHaveLength(2 + 8);
    expect(table[2]).toBe('| 1 | off | 6,500 | — | — | — | 600 | 40 |');
    expect(table[3]).toBe('| 2 | on | 6,400 | 85 | 5 | 1 | 700 | 41 |');
    expect(table[8]).toBe('| 7 | on | 6,300 ⚠ | 90 | 5 | 1 | 700 | 46 |');
    expect(md).toContain('⚠ During round 7 the functions were rebuilt');
    expect(md).toContain(
      '`created_users` held 230,000 rows before the first round and 470,000 after the last',
    );
    expect(md).toContain('On ÷ off per pair: 0.98×, 0.98×, 0.99×, 0.95×; **median 0.98×**.');
    expect(md).toContain("The console's CPU while on: **86 ms per second** (9% of one core).");
    expect(md).toContain('first contentful paint **212 ms**, first live snapshot rendered **1,185 ms**.');
  });

  it('says why the first paint was not measured, and leaves the section out of a run without the phase', () => {
    const quick = renderMarkdown(sampleQuickResults(), []);
    const { console: _phase, ...withoutPhase } = sampleResults();
    const older = renderMarkdown(withoutPhase, []);

    expect(quick).toContain(
      "The page's first paint was not measured: no chromium on PATH (`command -v chromium` found none)",
    );
    expect(tableAfter(quick, consoleHeading)).toHaveLength(2 + 2);
    expect(older).not.toContain(consoleHeading);
  });

  it('puts each stage next to its baseline, with the ratio', () => {
    const md = renderMarkdown(sampleResults(), []);

    const table = tableAfter(md, '## Stages vs raw baselines');
    expect(table[0]).toBe('| Stage | Users/s | Baseline | Baseline/s | Ratio |');
    expect(table).toContain(
      '| store-users (users_raw + outbox) (`store`) | 41,667 | COPY into users_raw and outbox (`postgres-bulk`) | 62,500 | 0.67× |',
    );
    expect(table).toContain('| fetch-users (local randomuser, 5000 a page) (`fetch`) | 47,619 | — | — | — |');
    expect(tableAfter(md, '### Baselines')).toContain(
      '| `kafka-producer` | kafka-producer-perf-test (acks=all, linger.ms=5) | 200,000 | 1.42 | 140,845 | acks=all, linger.ms=5 |',
    );
  });

  it('sets the sink beside the raw loop writing its own batches, under the stages table', () => {
    const md = renderMarkdown(sampleResults(), []);

    const section = md.slice(md.indexOf('## Stages vs raw baselines'), md.indexOf('### Baselines'));
    expect(section).toContain(
      "\n\n`sink` ÷ the raw loop writing the sink's own unlogged batches of 10 (`cassandra-batch`, 27,778 rows/s): **0.50×**\n\n",
    );
    expect(section.indexOf('`sink` ÷')).toBeGreaterThan(section.indexOf('| sink-users'));
  });

  it('has no batched line for a sink that writes single rows, or a run recorded before it existed', () => {
    const results = sampleResults();
    for (const stage of results.stages) delete stage.batchRatio;

    expect(renderMarkdown(results, [])).not.toContain('÷ the raw loop writing');
  });

  it('puts the Spark peer beside the sink: its steady rate, first batch, rows and the ratio', () => {
    const md = renderMarkdown(sampleResults(), []);

    const table = tableAfter(md, sparkPeerHeading);
    expect(table[0]).toBe('| Engine | Rows/s | Rate taken over | First batch |');
    expect(table).toContain(
      "| sink-users → created_users (`sink`) | 13,889 | Cassandra's write times of its rows | — |",
    );
    expect(table).toContain(
      '| Spark parity job, local[2] | 5,000 | the batches after the first | 8,120 ms after the driver started (the batch: 4,000 rows in 5,230 ms) |',
    );
    expect(md).toContain('which then held 50,000 rows');
    expect(md).toContain("query's 12 batches after its first");
    expect(md).toContain('sink-users ÷ Spark: **2.78×** (target `sink-vs-spark`)');
    expect(md.indexOf(sparkPeerHeading)).toBeGreaterThan(md.indexOf('## Stages vs raw baselines'));
    expect(md.indexOf(sparkPeerHeading)).toBeLessThan(md.indexOf('## End to end'));
    expect(renderMarkdown({ ...sampleResults(), sparkPeer: undefined }, [])).not.toContain(sparkPeerHeading);
  });

  it('describes each end-to-end profile: settings, sustained rate, lag and latency per load', () => {
    const md = renderMarkdown(sampleResults(), []);

    expect(md).toContain(
      'Settings: batch size 100, batching window 500 ms, relay poll 1,000 ms, 3 partitions.',
    );
    expect(md).toContain(
      'Sustained: **4,000 users/s** for 1 min, lag slope +0.8 records/s (flat ✅). Offered: 2,000 ✅ → 4,000 ✅ → 8,000 ❌.',
    );
    expect(tableAfter(md, '### Low latency')).toContain(
      '| 50% | 2,000 | 1,996 | 60,000 | 48 ms | 104 ms | 177 ms | 611 ms |',
    );
  });

  it('renders the scaling sweep sorted by partitions then batch size, and the processes', () => {
    const results = sampleResults();
    results.scaling.reverse();

    const md = renderMarkdown(results, []);

    const scaling = tableAfter(md, '## Scaling');
    expect(scaling[2]).toBe('| 1 | 10 | 1,800 | 6,000 | 900 |');
    expect(scaling.at(-1)).toBe('| 6 | 500 | 18,000 | 120 | 487 |');
    expect(tableAfter(md, '## Processes')).toContain('| cassandra | 40102 | 2,310.4 | 655.3 |');
  });

  it('leaves the history out when there is none, and shows the last entries newest first', () => {
    const without = renderMarkdown(sampleResults(), []);
    const withHistory = renderMarkdown(sampleResults(), historyOf(historyLimit + 5));

    expect(without).not.toContain('## History');
    const table = tableAfter(withHistory, '## History');
    expect(withHistory).toContain(`last ${historyLimit} of ${historyLimit + 5} runs, newest first.`);
    expect(table).toHaveLength(2 + historyLimit);
    expect(table[0]).toContain(
      '| Date | Commit | Mode | Label | `http-fetch`/s | `low-latency` CPU ms / 1,000 users | fetch users/s | store users/s |',
    );
    expect(table[2]).toMatch(/^\| 2026-11-20 09:00 UTC \| `19aaaaa` \| full \| run 19 \|/);
    expect(table[2]).toContain('| 11,900 |');
    expect(table.at(-1)).toContain('run 5');
  });

  it("sets each run's machine beside it: the loopback baseline and the first profile's CPU per 1,000 users", () => {
    const [older, newer] = historyOf(2);
    if (!older || !newer) throw new Error('no entries');
    const slow = {
      ...newer,
      baselines: { ...newer.baselines, 'http-fetch': 15_292.4 },
      cpuPerThousand: { 'low-latency': 1_160.2, sink: 608 },
    };
    const { cpuPerThousand: _, ...unmeasured } = older;

    const md = renderMarkdown(sampleResults(), [unmeasured, slow]);

    const [, , newest, oldest] = tableAfter(md, '## History');
    expect(newest).toMatch(/\| run \d+ \| 15,292 \| 1,160 \| /);
    expect(oldest).toMatch(/\| run \d+ \| — \| — \| /);
    expect(md).toContain(
      '`http-fetch` (HTTP GET and JSON.parse over loopback) shows the kind of machine a run had',
    );
    expect(renderMarkdown(sampleResults(), [slow])).toContain('1 run, newest first.');
  });

  it('shows a dash for a number an older run did not measure', () => {
    const [older, newer] = historyOf(2);
    if (!older || !newer) throw new Error('no entries');
    const md = renderMarkdown(sampleResults(), [older, { ...newer, stages: { sink: 9_000 }, targets: {} }]);

    const row = tableAfter(md, '## History')[2];
    expect(row).toContain('| — | — | — | 9,000 | — | — | — | — |');
  });

  it('renders a quick run with empty sections and no broken numbers', () => {
    const results = { ...sampleQuickResults(), endToEnd: [], scaling: [], processes: [] };

    const md = renderMarkdown(results, []);

    expect(md).toContain('No end-to-end profiles in this run.');
    expect(md).toContain('No scaling points in this run.');
    expect(md).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('escapes pipes and newlines so text cannot break a table', () => {
    const results = sampleResults();
    results.label = 'a | b\nc';
    const [target] = results.targets;
    if (target) target.description = 'x | y';

    const md = renderMarkdown(results, [historyEntry(results)]);

    expect(md).toContain('| x \\| y (`store-vs-copy`) |');
    expect(md).toContain('| a \\| b c |');
  });

  it('is a pure function of its arguments', () => {
    const history = historyOf(3);

    expect(renderMarkdown(sampleResults(), history)).toBe(renderMarkdown(sampleResults(), history));
  });
});

describe('renderMarkdown: the machine (issue 17)', () => {
  it('sets end to end against the serial limit, with the baselines it adds up', () => {
    const md = renderMarkdown(sampleResults(), []);

    expect(md).toContain(`\n${serialLimitHeading}\n`);
    expect(md).toContain(
      '1 / (1/62,500 `postgres-bulk` + 1/140,845 `kafka-producer` + 1/227,273 `kafka-consumer` + ' +
        '1/17,241 `cassandra-insert`) = **11,696 users/s**.',
    );
    expect(md).toContain(
      'End to end (`low-latency` profile, sustained): 4,000 users/s, **0.34×** of the serial limit ' +
        '(target `e2e-vs-serial-limit`).',
    );
    expect(md.indexOf(serialLimitHeading)).toBeLessThan(md.indexOf('## End to end'));
  });

  it('leaves the serial limit out of a run without one', () => {
    expect(renderMarkdown(sampleQuickResults(), [])).not.toContain(serialLimitHeading);
  });

  it('renders CPU per 1,000 users per process: a column for the sink stage and for each profile', () => {
    const md = renderMarkdown(sampleResults(), []);

    const table = tableAfter(md, cpuHeading);
    expect(table[0]).toBe(
      '| Process | `sink` stage | `low-latency` end to end | `aws-defaults` end to end |',
    );
    // 9,600 ms over 48,000 users; 52,800 ms over 240,000; 86,400 over 360,000.
    expect(table).toContain('| cassandra | 200 | 220 | 240 |');
    // Only the end-to-end run had PostgreSQL in it; the rows follow the processes table's order.
    expect(table).toContain('| postgres | — | 60 | 70 |');
    expect(table.slice(2, 5).map((row) => row.split(' | ')[0])).toEqual([
      '| kafka',
      '| cassandra',
      '| postgres',
    ]);
    expect(table).toContain('| **All watched processes** | **405** | **620** | **760** |');
    expect(table).toContain('| Other work on the machine | 16 | 25 | 30 |');
    expect(table).toContain('| Users in the span | 48,000 | 240,000 | 360,000 |');
  });

  it('leaves the CPU section out of a run recorded before it existed', () => {
    const results = sampleResults();
    for (const stage of results.stages) delete stage.cpu;
    for (const profile of results.endToEnd) delete profile.cpu;

    expect(renderMarkdown(results, [])).not.toContain(cpuHeading);
  });

  it("splits a latency run at the records' Kafka timestamps when it has the split, and says nothing otherwise", () => {
    const md = renderMarkdown(sampleResults(), []);
    expect(md).toContain(
      "Split at each record's Kafka timestamp (p50/p95/p99): at 50%, commit → Kafka 12/40/72 ms and Kafka → row 33/70/119 ms.",
    );
    const without = sampleResults();
    for (const profile of without.endToEnd) for (const l of profile.latency) delete l.hops;
    expect(renderMarkdown(without, [])).not.toContain('Split at each record');
  });
});
