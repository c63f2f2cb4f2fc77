/**
 * Writes a run's report files: `latest.json`, `latest.md` and `latest.svg` in the results folder, and for a
 * recorded run a line in `history.jsonl` plus a copy of its JSON under `runs/`. Everything is rendered before
 * anything is written, and the history line is appended last, so a failed render leaves no half-recorded run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeIssues } from '../../lib/errors.ts';
import { type Results, resultsSchema } from '../lib/results.ts';
import { type RenderChartOptions, renderChartSvg } from './chart.ts';
import { InvalidResultsError } from './errors.ts';
import { reportFiles } from './files.ts';
import { appendHistory, historyEntry, readHistory } from './history.ts';
import { renderMarkdown } from './markdown.ts';

/** Options of {@link writeReport}. */
export interface WriteReportOptions extends RenderChartOptions {
  /** Record the run: append it to `history.jsonl` and show the history in `latest.md`. */
  history: boolean;
  /** Keep a copy of the JSON as `runs/<startedAt>-<mode>.json`; by default, when the run is recorded. */
  keepRun?: boolean;
}

/** The paths {@link writeReport} wrote. */
export interface WrittenReport {
  json: string;
  md: string;
  svg: string;
  /** Present when the run was appended to the history. */
  history?: string;
  /** Present when a copy of the run's JSON was kept. */
  run?: string;
}

/**
 * Validates the results, renders them and writes the report files into `dir` (created when missing).
 *
 * @throws {@link InvalidResultsError} when the results do not match `resultsSchema` (nothing is written)
 * @throws {@link HistoryLineError} when the existing history has a malformed line (nothing is written)
 */
export async function writeReport(
  results: Results,
  dir: string,
  options: WriteReportOptions,
): Promise<WrittenReport> {
  const parsed = resultsSchema.safeParse(results);
  if (!parsed.success) {
    throw new InvalidResultsError(`the results are not valid: ${describeIssues(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const valid = parsed.data;
  const historyPath = join(dir, reportFiles.history);
  const entry = historyEntry(valid);
  const history = options.history ? [...(await readHistory(historyPath)), entry] : [];
  const json = `${JSON.stringify(valid, null, 2)}\n`;
  const md = renderMarkdown(valid, history);
  const svg = await renderChartSvg(valid, options.onWarning ? { onWarning: options.onWarning } : {});

  const written: WrittenReport = {
    json: join(dir, reportFiles.json),
    md: join(dir, reportFiles.md),
    svg: join(dir, reportFiles.svg),
  };
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(written.json, json, 'utf8'),
    writeFile(written.md, md, 'utf8'),
    writeFile(written.svg, svg, 'utf8'),
  ]);
  if (options.keepRun ?? options.history) {
    written.run = join(dir, reportFiles.runs, runFileName(valid));
    await mkdir(join(dir, reportFiles.runs), { recursive: true });
    await writeFile(written.run, json, 'utf8');
  }
  if (options.history) {
    await appendHistory(historyPath, entry);
    written.history = historyPath;
  }
  return written;
}

/** `20261124T073012Z-full.json`: sorts by start time, and has no characters some file systems refuse. */
export function runFileName(results: Pick<Results, 'startedAt' | 'mode'>): string {
  const compact = new Date(results.startedAt)
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(/[-:]/g, '');
  return `${compact}-${results.mode}.json`;
}
