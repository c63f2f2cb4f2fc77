import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputs, type ReportOutputs, readOutputs } from './check.ts';
import type { Results } from './lib/results.ts';
import { renderChartSvg } from './report/chart.ts';
import { cpuHeading, renderMarkdown, serialLimitHeading, targetsTableHeader } from './report/markdown.ts';
import { sampleQuickResults, sampleResults } from './report/sample.ts';
import { writeReport } from './report/write.ts';

let good: ReportOutputs;

beforeAll(async () => {
  const results = sampleQuickResults();
  good = {
    json: JSON.stringify(results, null, 2),
    md: renderMarkdown(results, []),
    svg: await renderChartSvg(results, { onWarning: () => {} }),
  };
});

/** The good outputs with the JSON of the results as changed by `edit`. */
function withResults(edit: (results: Results) => void): ReportOutputs {
  const results = sampleQuickResults();
  edit(results);
  return { ...good, json: JSON.stringify(results) };
}

describe('checkOutputs', () => {
  it('accepts a complete report', () => {
    expect(checkOutputs(good)).toEqual([]);
  });

  it('flags JSON that does not parse or does not match the schema', () => {
    expect(checkOutputs({ ...good, json: '{"schemaVersion": 1,' })).toEqual([
      expect.stringMatching(/^latest\.json is not JSON: /),
    ]);
    // JSON.stringify writes a NaN ratio as null.
    const nanRatio = withResults((results) => {
      for (const stage of results.stages) stage.ratio = Number.NaN;
    });
    expect(checkOutputs(nanRatio)).toEqual([
      expect.stringMatching(/^latest\.json does not match the results schema: stages\[0\]\.ratio: /),
    ]);
  });

  it('flags a run without baselines, stages or targets', () => {
    const empty = withResults((results) => {
      results.baselines = [];
      results.stages = [];
      results.targets = [];
    });

    expect(checkOutputs(empty)).toEqual([
      'latest.json has no baselines',
      'latest.json has no stages',
      'latest.json has no targets',
      'latest.json has a console phase but no console-cost target',
    ]);
  });

  it('flags a stage with a baseline but no ratio, or a baseline the run did not measure', () => {
    const broken = withResults((results) => {
      for (const stage of results.stages) {
        delete stage.ratio;
        stage.baseline = 'kafka-producer';
      }
    });

    expect(checkOutputs(broken)).toEqual([
      'stage sink is compared with baseline kafka-producer, which the run did not measure',
      'stage sink has a baseline (kafka-producer) but no finite ratio',
    ]);
  });

  it('accepts a run without the batched loop, as before it existed or with a sink writing single rows', () => {
    const results = sampleQuickResults();
    results.baselines = results.baselines.filter((b) => b.id !== 'cassandra-batch');
    for (const stage of results.stages) delete stage.batchRatio;

    expect(checkOutputs({ ...good, json: JSON.stringify(results), md: renderMarkdown(results, []) })).toEqual(
      [],
    );
  });

  it("flags a batch ratio whose loop the run did not measure, of another batch size, or not the sink's rate over it", () => {
    const missing = withResults((results) => {
      results.baselines = results.baselines.filter((b) => b.id !== 'cassandra-batch');
    });
    const wrong = withResults((results) => {
      for (const stage of results.stages) {
        if (stage.batchRatio) stage.batchRatio = { ...stage.batchRatio, batchSize: 20, ratio: 0.7 };
      }
    });

    expect(checkOutputs(missing)).toEqual([
      'latest.json stage sink is set beside baseline cassandra-batch, which the run did not measure',
    ]);
    expect(checkOutputs(wrong)).toEqual([
      'latest.json stage sink is set beside batches of 20, baseline cassandra-batch wrote batches of 10',
      expect.stringMatching(
        /^latest\.json stage sink: its ratio to cassandra-batch is 0\.7, its rate over the loop's 0\.5/,
      ),
    ]);
  });

  it('flags markdown without the batched line in a run that has the ratio', () => {
    const md = good.md.replace(/^`sink` ÷ .*$/m, '');

    expect(checkOutputs({ ...good, md })).toEqual([
      'latest.md does not set stage sink beside cassandra-batch',
    ]);
  });

  it('flags a console phase whose rounds and pairs do not add up, or that lacks its targets or reasons', () => {
    const broken = withResults((results) => {
      const phase = results.console;
      if (phase === undefined) throw new Error('the quick sample has a console phase');
      phase.rounds = phase.rounds.map((r) => ({ ...r, users: r.console === 'on' ? 2_999 : r.users }));
      for (const round of phase.rounds) delete round.consoleCpuMsPerSecond;
      phase.pairRatios = [];
      delete phase.firstPaint.reason;
      results.targets = results.targets.filter((t) => t.id !== 'console-cost');
    });
    const measured = withResults((results) => {
      if (results.console) results.console.firstPaint = { firstContentfulPaintMs: 300, firstSnapshotMs: 900 };
    });

    expect(checkOutputs(broken)).toEqual([
      'latest.json does not match the results schema: console.pairRatios: Too small: expected array to have >=1 items',
    ]);
    const brokenJson = JSON.parse(broken.json);
    brokenJson.console.pairRatios = [1, 1];
    expect(checkOutputs({ ...broken, json: JSON.stringify(brokenJson) })).toEqual([
      'latest.json console phase has 2 pair ratios for 1 pairs',
      'latest.json console phase: round 2 wrote 2999 of its 3000 users',
      'latest.json console phase: round 2 ran the console but has no CPU for it',
      'latest.json console phase: the first paint is not measured and no reason says why',
      'latest.json has a console phase but no console-cost target',
    ]);
    expect(checkOutputs(measured)).toEqual([
      'latest.json measured the first paint but has no console-first-paint target',
    ]);
  });

  it('flags a Spark peer whose rows do not match its records, and markdown without its section', () => {
    const short = withResults((results) => {
      if (results.sparkPeer) results.sparkPeer.rowsWritten = results.sparkPeer.records - 1;
    });
    const noSection = good.md.replace('## Peer: Spark parity job', '## Peer');

    expect(checkOutputs(short)).toEqual(['latest.json Spark peer wrote 49999 rows for its 50000 records']);
    expect(checkOutputs({ ...good, md: noSection })).toEqual(['latest.md has no Spark peer section']);
  });

  it('flags markdown without the console section in a run that has the phase', () => {
    const noSection = good.md.replace('## Console', '## Consoles');

    expect(checkOutputs({ ...good, md: noSection })).toEqual(['latest.md has no console section']);
  });

  it('flags markdown without the targets table or one of its targets, without the machine, or with a NaN', () => {
    const noTable = good.md.replace(targetsTableHeader, '| Goal |');
    const noMachine = good.md.replaceAll('bench-runner-1', 'somewhere');
    const nan = good.md.replace('0.81×', 'NaN×');
    const noTarget = good.md
      .split('\n')
      .filter((line) => !line.includes('`sink-vs-insert`'))
      .join('\n');

    expect(checkOutputs({ ...good, md: noTable })).toEqual(['latest.md has no targets table']);
    expect(checkOutputs({ ...good, md: noMachine })).toEqual([
      'latest.md does not name the machine (bench-runner-1, AMD EPYC 7B13)',
    ]);
    expect(checkOutputs({ ...good, md: noTarget })).toEqual([
      'latest.md does not show target sink-vs-insert',
    ]);
    expect(checkOutputs({ ...good, md: nan })).toEqual([
      expect.stringMatching(/^latest\.md contains "NaN" \(line \d+\)$/),
    ]);
  });

  it('flags an SVG that is cut short, malformed, or holds a NaN', () => {
    const cut = good.svg.slice(0, -200);
    const malformed = good.svg.replace('</text>', '</txt>');
    const nan = good.svg.replace(/d="M[^"]*"/, 'd="MNaN,NaN"');

    expect(checkOutputs({ ...good, svg: cut })).toEqual([
      'latest.svg does not end with </svg>',
      expect.stringMatching(/^latest\.svg is not well-formed XML: /),
    ]);
    expect(checkOutputs({ ...good, svg: malformed })).toEqual([
      expect.stringMatching(
        /^latest\.svg is not well-formed XML: <\/txt> closes <text> at line 1, column \d+$/,
      ),
    ]);
    expect(checkOutputs({ ...good, svg: nan })).toEqual(['latest.svg contains "NaN" (line 1)']);
    expect(checkOutputs({ ...good, svg: 'not an svg' })).toContain('latest.svg does not start with <svg');
  });
});

describe('bench/check.ts', () => {
  let dir: string;
  const cli = fileURLToPath(new URL('./check.ts', import.meta.url));
  // One tsx process per run: about a second each, more on a busy machine.
  const run = async (target: string) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, target]);
    const stdout: string[] = [];
    const stderr: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    return { status, stdout: stdout.join(''), stderr: stderr.join('') };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-check-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports every missing file at once', async () => {
    const { files, problems } = await readOutputs(join(dir, 'missing'));

    expect(files).toBeUndefined();
    expect(problems).toEqual([
      `cannot read ${join(dir, 'missing', 'latest.json')}: no such file`,
      `cannot read ${join(dir, 'missing', 'latest.md')}: no such file`,
      `cannot read ${join(dir, 'missing', 'latest.svg')}: no such file`,
    ]);
  });

  it('exits 1 listing the problems, and 0 on a complete report', { timeout: 60_000 }, async () => {
    await writeReport(sampleQuickResults(), join(dir, 'good'), { history: false, onWarning: () => {} });

    const [bad, ok] = await Promise.all([run(join(dir, 'missing')), run(join(dir, 'good'))]);

    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`bench check: 3 problems in ${join(dir, 'missing')}`);
    expect(bad.stderr).toContain('  - cannot read');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(`bench check: ${join(dir, 'good')} holds a complete report\n`);
  });
});

describe('checkOutputs: the serial limit and CPU per 1,000 users (issue 17)', () => {
  /** The full sample's outputs, as changed by `edit`, with the markdown rendered from them. */
  function fullOutputs(edit: (results: Results) => void = () => {}): ReportOutputs {
    const results = sampleResults();
    edit(results);
    return { ...good, json: JSON.stringify(results), md: renderMarkdown(results, []) };
  }
  const withE2eTarget = (results: Results) => {
    results.targets.push({
      id: 'e2e-vs-serial-limit',
      description: 'end-to-end sustained (low-latency profile) ÷ serial limit',
      measured: results.serialLimit?.endToEnd?.fraction ?? 0,
      goal: 0.8,
      comparison: '>=',
      unit: 'x',
      met: false,
    });
  };

  it('accepts a full run whose serial limit adds up its baselines and whose CPU totals add up', () => {
    expect(checkOutputs(fullOutputs(withE2eTarget))).toEqual([]);
  });

  it('flags a serial limit that is not the sum of the run’s baselines, or a fraction that is not its profile’s', () => {
    const problems = checkOutputs(
      fullOutputs((results) => {
        withE2eTarget(results);
        const limit = results.serialLimit;
        if (limit?.endToEnd === undefined) throw new Error('the sample has a serial limit');
        limit.baselines['kafka-consumer'] = 1_000;
        limit.endToEnd.fraction = 0.9;
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/serial limit uses kafka-consumer at 1000\/s, the run measured 227272\.73\/s/),
      expect.stringMatching(/serial limit is 11695\.91\/s, its baselines add up to /),
      expect.stringMatching(/the fraction 0\.9 is not 4000 ÷ 11695\.91/),
      expect.stringMatching(/target e2e-vs-serial-limit is not the serial limit's fraction/),
    ]);
  });

  it('flags a run with the e2e-vs-serial-limit target but no limit, or no CPU for the sink and the profiles', () => {
    const problems = checkOutputs(
      fullOutputs((results) => {
        withE2eTarget(results);
        delete results.serialLimit;
        for (const stage of results.stages) delete stage.cpu;
        for (const profile of results.endToEnd) delete profile.cpu;
      }),
    );
    expect(problems).toEqual([
      'latest.json has the e2e-vs-serial-limit target but no serial limit',
      'latest.json stage sink has no CPU per 1000 users',
      'latest.json profile low-latency has no CPU per 1000 users',
      'latest.json profile aws-defaults has no CPU per 1000 users',
    ]);
  });

  it('flags a CPU total that is not the sum of its processes, and markdown without the two sections', () => {
    const outputs = fullOutputs((results) => {
      const cpu = results.stages.find((s) => s.id === 'sink')?.cpu;
      if (cpu !== undefined) cpu.totalMsPerThousand += 1;
    });
    const md = outputs.md.replace(serialLimitHeading, '## Limit').replace(cpuHeading, '## CPU');
    expect(checkOutputs({ ...outputs, md })).toEqual([
      expect.stringMatching(/stage sink: CPU per 1000 users totals 406, its processes 405/),
      'latest.md has no serial limit section',
      'latest.md has no CPU per 1,000 users section',
    ]);
  });
});
