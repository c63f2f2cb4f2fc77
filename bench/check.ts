/**
 * `tsx bench/check.ts [dir]`: the benchmark's smoke test, which CI runs after `npm run bench -- --quick --out
 * <dir>`. It checks that the run wrote a complete, well-formed report (valid JSON with baselines, stages,
 * ratios and targets; the sink's ratio to the raw loop writing its batches, when the run has one, against that
 * loop; a console phase whose rounds and pairs add up, with its targets; a serial limit that adds up the run's
 * own baselines, and CPU per 1,000 users whose totals add up; a markdown report with the targets table, the
 * sections of what the run has and the machine; an SVG that parses, with no NaN), never how fast
 * anything was: CI machines vary too much for timing assertions. Exits 1 listing every problem.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeIssues } from '../lib/errors.ts';
import { type Results, resultsSchema } from './lib/results.ts';
import { serialLimitBaselines, serialRate } from './lib/serial-limit.ts';
import { reportFiles } from './report/files.ts';
import {
  batchRatioLead,
  consoleHeading,
  cpuHeading,
  serialLimitHeading,
  sparkPeerHeading,
  targetsTableHeader,
} from './report/markdown.ts';
import { xmlProblem } from './report/xml.ts';

/** The report's three files, as text. */
export interface ReportOutputs {
  json: string;
  md: string;
  svg: string;
}

// Values that only appear when a number went missing or was divided by zero on its way into the text.
const brokenValue = /\b(NaN|undefined|Infinity)\b/;

/**
 * Checks a run's report files.
 *
 * @param files - the text of `latest.json`, `latest.md` and `latest.svg`
 * @returns the problems found, one sentence each; empty when the report is complete
 */
export function checkOutputs(files: ReportOutputs): string[] {
  const { problems, results } = checkJson(files.json);
  problems.push(...checkMarkdown(files.md, results), ...checkSvg(files.svg));
  return problems;
}

function checkJson(text: string): { problems: string[]; results?: Results } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      problems: [`${reportFiles.json} is not JSON: ${error instanceof Error ? error.message : error}`],
    };
  }
  const parsed = resultsSchema.safeParse(json);
  if (!parsed.success) {
    return {
      problems: [`${reportFiles.json} does not match the results schema: ${describeIssues(parsed.error)}`],
    };
  }
  const results = parsed.data;
  const problems: string[] = [];
  if (results.baselines.length === 0) problems.push(`${reportFiles.json} has no baselines`);
  if (results.stages.length === 0) problems.push(`${reportFiles.json} has no stages`);
  if (results.targets.length === 0) problems.push(`${reportFiles.json} has no targets`);
  const baselineIds = new Set(results.baselines.map((b) => b.id));
  for (const stage of results.stages) {
    if (stage.baseline === undefined) continue;
    if (!baselineIds.has(stage.baseline)) {
      problems.push(
        `stage ${stage.id} is compared with baseline ${stage.baseline}, which the run did not measure`,
      );
    }
    if (stage.ratio === undefined || !Number.isFinite(stage.ratio)) {
      problems.push(`stage ${stage.id} has a baseline (${stage.baseline}) but no finite ratio`);
    }
  }
  problems.push(...checkBatchRatios(results));
  problems.push(...checkConsole(results), ...checkSerialLimit(results), ...checkCpu(results));
  const peer = results.sparkPeer;
  if (peer !== undefined && peer.rowsWritten !== peer.records) {
    problems.push(
      `${reportFiles.json} Spark peer wrote ${peer.rowsWritten} rows for its ${peer.records} records`,
    );
  }
  return { problems, results };
}

/** The console phase, when the run has one: its rounds and pairs add up, and its targets are there. */
function checkConsole(results: Results): string[] {
  const phase = results.console;
  if (phase === undefined) return [];
  const problems: string[] = [];
  const where = `${reportFiles.json} console phase`;
  if (phase.rounds.length !== 2 * phase.pairs) {
    problems.push(`${where} has ${phase.rounds.length} rounds for ${phase.pairs} pairs`);
  }
  if (phase.pairRatios.length !== phase.pairs) {
    problems.push(`${where} has ${phase.pairRatios.length} pair ratios for ${phase.pairs} pairs`);
  }
  for (const round of phase.rounds) {
    if (round.users !== phase.usersPerRound) {
      problems.push(
        `${where}: round ${round.round} wrote ${round.users} of its ${phase.usersPerRound} users`,
      );
    }
    if (round.console === 'on' && round.consoleCpuMsPerSecond === undefined) {
      problems.push(`${where}: round ${round.round} ran the console but has no CPU for it`);
    }
  }
  const { firstContentfulPaintMs, firstSnapshotMs, reason } = phase.firstPaint;
  if ((firstContentfulPaintMs === null || firstSnapshotMs === null) && reason === undefined) {
    problems.push(`${where}: the first paint is not measured and no reason says why`);
  }
  const ids = new Set(results.targets.map((t) => t.id));
  if (!ids.has('console-cost'))
    problems.push(`${reportFiles.json} has a console phase but no console-cost target`);
  if (firstContentfulPaintMs !== null && !ids.has('console-first-paint')) {
    problems.push(`${reportFiles.json} measured the first paint but has no console-first-paint target`);
  }
  return problems;
}

/** Relative closeness, for figures the runner rounds nowhere but that pass through JSON. */
const near = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * A stage's ratio to the raw loop writing its unlogged batches, when the run has one (runs before it, and runs
 * of a sink that writes single rows, have none): the loop was measured in the run, with that batch size, and
 * the ratio is the stage's rate over the loop's.
 */
function checkBatchRatios(results: Results): string[] {
  const problems: string[] = [];
  for (const stage of results.stages) {
    const batched = stage.batchRatio;
    if (batched === undefined) continue;
    const where = `${reportFiles.json} stage ${stage.id}`;
    const loop = results.baselines.find((b) => b.id === batched.baseline);
    if (loop === undefined) {
      problems.push(`${where} is set beside baseline ${batched.baseline}, which the run did not measure`);
      continue;
    }
    if (loop.details.batchSize !== batched.batchSize) {
      problems.push(
        `${where} is set beside batches of ${batched.batchSize}, baseline ${loop.id} wrote batches of ${String(loop.details.batchSize)}`,
      );
    }
    if (loop.perSecond <= 0 || !near(batched.ratio, stage.perSecond / loop.perSecond)) {
      problems.push(
        `${where}: its ratio to ${loop.id} is ${batched.ratio}, its rate over the loop's ${stage.perSecond / loop.perSecond}`,
      );
    }
  }
  return problems;
}

/**
 * The serial limit adds up the run's own baselines, and the end to end set against it is the profile's
 * sustained rate, as the `e2e-vs-serial-limit` target reports it. A run with that target must have the limit.
 */
function checkSerialLimit(results: Results): string[] {
  const limit = results.serialLimit;
  const e2eTarget = results.targets.find((t) => t.id === 'e2e-vs-serial-limit');
  const where = `${reportFiles.json} serial limit`;
  if (limit === undefined) {
    return e2eTarget === undefined
      ? []
      : [`${reportFiles.json} has the e2e-vs-serial-limit target but no serial limit`];
  }
  const problems: string[] = [];
  const rates: number[] = [];
  for (const id of serialLimitBaselines) {
    const used = limit.baselines[id];
    const measured = results.baselines.find((b) => b.id === id)?.perSecond;
    if (used === undefined || measured === undefined || !near(used, measured)) {
      problems.push(
        `${where} uses ${id} at ${used ?? 'nothing'}/s, the run measured ${measured ?? 'nothing'}/s`,
      );
    }
    rates.push(used ?? 0);
  }
  if (!near(limit.perSecond, serialRate(rates))) {
    problems.push(`${where} is ${limit.perSecond}/s, its baselines add up to ${serialRate(rates)}/s`);
  }
  const e2e = limit.endToEnd;
  if (e2e !== undefined) {
    const profile = results.endToEnd.find((p) => p.id === e2e.profile);
    if (profile === undefined || !near(profile.sustained.perSecond, e2e.perSecond)) {
      problems.push(`${where}: its end to end is not the ${e2e.profile} profile's sustained rate`);
    }
    if (!near(e2e.fraction, limit.perSecond > 0 ? e2e.perSecond / limit.perSecond : 0)) {
      problems.push(`${where}: the fraction ${e2e.fraction} is not ${e2e.perSecond} ÷ ${limit.perSecond}`);
    }
    if (e2eTarget !== undefined && !near(e2eTarget.measured, e2e.fraction)) {
      problems.push(`${reportFiles.json} target e2e-vs-serial-limit is not the serial limit's fraction`);
    }
  }
  return problems;
}

/**
 * Each CPU breakdown's total is the sum of its processes; a run with issue 17's targets has one for the sink
 * stage and for every end-to-end profile.
 */
function checkCpu(results: Results): string[] {
  const problems: string[] = [];
  const spans = [
    ...results.stages.map((s) => ({ what: `stage ${s.id}`, cpu: s.cpu, required: s.id === 'sink' })),
    ...results.endToEnd.map((p) => ({ what: `profile ${p.id}`, cpu: p.cpu, required: true })),
  ];
  const current = results.targets.some((t) => t.id === 'e2e-vs-serial-limit');
  for (const { what, cpu, required } of spans) {
    if (cpu === undefined) {
      if (required && current) problems.push(`${reportFiles.json} ${what} has no CPU per 1000 users`);
      continue;
    }
    const sum = cpu.processes.reduce((total, p) => total + p.msPerThousand, 0);
    if (!near(sum, cpu.totalMsPerThousand)) {
      problems.push(
        `${reportFiles.json} ${what}: CPU per 1000 users totals ${cpu.totalMsPerThousand}, its processes ${sum}`,
      );
    }
  }
  return problems;
}

function checkMarkdown(md: string, results: Results | undefined): string[] {
  const problems: string[] = [];
  if (!md.includes(targetsTableHeader)) problems.push(`${reportFiles.md} has no targets table`);
  const broken = brokenValue.exec(md);
  if (broken) problems.push(`${reportFiles.md} contains "${broken[0]}" (line ${lineOf(md, broken.index)})`);
  if (results === undefined) return problems;
  for (const target of results.targets) {
    if (!md.includes(`\`${target.id}\``))
      problems.push(`${reportFiles.md} does not show target ${target.id}`);
  }
  if (results.console !== undefined && !md.includes(`\n${consoleHeading}\n`)) {
    problems.push(`${reportFiles.md} has no console section`);
  }
  for (const stage of results.stages) {
    if (stage.batchRatio !== undefined && !md.includes(`\`${stage.id}\` ${batchRatioLead}`)) {
      problems.push(`${reportFiles.md} does not set stage ${stage.id} beside ${stage.batchRatio.baseline}`);
    }
  }
  if (results.serialLimit !== undefined && !md.includes(`\n${serialLimitHeading}\n`)) {
    problems.push(`${reportFiles.md} has no serial limit section`);
  }
  const hasCpu = [...results.stages, ...results.endToEnd].some((x) => x.cpu !== undefined);
  if (hasCpu && !md.includes(`\n${cpuHeading}\n`)) {
    problems.push(`${reportFiles.md} has no CPU per 1,000 users section`);
  }
  if (results.sparkPeer !== undefined && !md.includes(`\n${sparkPeerHeading}\n`)) {
    problems.push(`${reportFiles.md} has no Spark peer section`);
  }
  const { hostname, cpuModel } = results.machine;
  if (!md.includes(hostname) || !md.includes(cpuModel)) {
    problems.push(`${reportFiles.md} does not name the machine (${hostname}, ${cpuModel})`);
  }
  return problems;
}

function checkSvg(svg: string): string[] {
  const problems: string[] = [];
  // An XML declaration may precede the root; Vega writes none, but an SVG with one is still fine.
  const body = svg.trim().replace(/^<\?xml[^>]*\?>\s*/, '');
  if (!body.startsWith('<svg')) problems.push(`${reportFiles.svg} does not start with <svg`);
  if (!body.endsWith('</svg>')) problems.push(`${reportFiles.svg} does not end with </svg>`);
  const problem = xmlProblem(svg);
  if (problem !== undefined) problems.push(`${reportFiles.svg} is not well-formed XML: ${problem}`);
  const broken = brokenValue.exec(svg);
  if (broken) problems.push(`${reportFiles.svg} contains "${broken[0]}" (line ${lineOf(svg, broken.index)})`);
  return problems;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/**
 * Reads the report files of `dir`; a missing or unreadable file is a problem, not an exception, so the check
 * reports everything at once.
 */
export async function readOutputs(dir: string): Promise<{ files?: ReportOutputs; problems: string[] }> {
  const names = [reportFiles.json, reportFiles.md, reportFiles.svg] as const;
  const texts = await Promise.all(
    names.map((name) =>
      readFile(join(dir, name), 'utf8').then(
        (text) => ({ text }),
        (error: unknown) => ({ problem: `cannot read ${join(dir, name)}: ${describeError(error)}` }),
      ),
    ),
  );
  const problems = texts.flatMap((t) => ('problem' in t ? [t.problem] : []));
  const [json, md, svg] = texts.map((t) => ('text' in t ? t.text : undefined));
  if (json === undefined || md === undefined || svg === undefined) return { problems };
  return { files: { json, md, svg }, problems };
}

function describeError(error: unknown): string {
  if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return 'no such file';
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? 'bench/results';
  const { files, problems } = await readOutputs(dir);
  if (files !== undefined) problems.push(...checkOutputs(files));
  if (problems.length > 0) {
    console.error(`bench check: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${dir}`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exitCode = 1;
    return;
  }
  console.log(`bench check: ${dir} holds a complete report`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`bench check: ${describeError(error)}`);
    process.exitCode = 1;
  });
}
