/**
 * The benchmark's history (`bench/results/history.jsonl`): one JSON line per recorded run, appended, never
 * rewritten, so runs can be compared over time and a line's history is in git. Parsing is pure and separate
 * from the file I/O, so tests feed it text.
 */
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { describeIssues } from '../../lib/errors.ts';
import { type HistoryEntry, historyEntrySchema, type Results } from '../lib/results.ts';
import { HistoryLineError, InvalidHistoryEntryError } from './errors.ts';

/** What a run measured, as one history line: each stage's, baseline's and target's number, keyed by id. */
export function historyEntry(results: Results): HistoryEntry {
  return {
    startedAt: results.startedAt,
    commit: results.git.commit,
    mode: results.mode,
    label: results.label,
    stages: Object.fromEntries(results.stages.map((s) => [s.id, s.perSecond])),
    baselines: Object.fromEntries(results.baselines.map((b) => [b.id, b.perSecond])),
    targets: Object.fromEntries(results.targets.map((t) => [t.id, t.measured])),
    ...(results.serialLimit === undefined ? {} : { serialLimit: results.serialLimit.perSecond }),
    ...cpuEntry(results),
  };
}

/** The CPU per 1000 users of the sink stage and each end-to-end profile, where the run measured it. */
function cpuEntry(results: Results): Pick<HistoryEntry, 'cpuPerThousand'> {
  const measured = [...results.stages, ...results.endToEnd].flatMap((part) =>
    part.cpu === undefined ? [] : [[part.id, part.cpu.totalMsPerThousand] as const],
  );
  return measured.length === 0 ? {} : { cpuPerThousand: Object.fromEntries(measured) };
}

/**
 * Parses the text of a history file, oldest entry first. Blank lines are skipped.
 *
 * @param text - the file's text
 * @param file - the file's name, for error messages
 * @throws {@link HistoryLineError} naming the first line that is not JSON or not a history entry
 */
export function parseHistory(text: string, file: string): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new HistoryLineError(file, index + 1, 'not valid JSON', error);
    }
    const parsed = historyEntrySchema.safeParse(json);
    if (!parsed.success) {
      throw new HistoryLineError(
        file,
        index + 1,
        `not a history entry (${describeIssues(parsed.error)})`,
        parsed.error,
      );
    }
    entries.push(parsed.data);
  }
  return entries;
}

/**
 * Reads a history file; a file that does not exist yet is an empty history, as before the first recorded run.
 *
 * @throws {@link HistoryLineError} when a line is malformed
 */
export async function readHistory(path: string): Promise<HistoryEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isMissingFile(error)) return [];
    throw error;
  }
  return parseHistory(text, path);
}

/**
 * Appends one entry as a JSON line, creating the file and its folder when needed.
 *
 * @throws {@link InvalidHistoryEntryError} when the entry is not valid, so a bad entry never reaches the file
 *   and breaks every later read
 */
export async function appendHistory(path: string, entry: HistoryEntry): Promise<void> {
  const parsed = historyEntrySchema.safeParse(entry);
  if (!parsed.success) {
    throw new InvalidHistoryEntryError(
      `not appending an invalid entry to ${path}: ${describeIssues(parsed.error)}`,
      { cause: parsed.error },
    );
  }
  await mkdir(dirname(path), { recursive: true });
  // A file edited by hand may have lost its final newline; without one the new entry would join the last line.
  const separator = (await endsWithNewline(path)) ? '' : '\n';
  await appendFile(path, `${separator}${JSON.stringify(parsed.data)}\n`, 'utf8');
}

/** Whether the file ends with a newline; an empty or missing file counts as ending with one. */
async function endsWithNewline(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (isMissingFile(error)) return true;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

function isMissingFile(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
