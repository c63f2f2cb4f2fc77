/**
 * Topic sizes from a broker's log directory, for the Kafka view. kafkajs 2.2.4 cannot ask the broker (its
 * protocol table marks DescribeLogDirs as not implemented), but the local stack's broker keeps its log in a
 * directory the console can read: one `<topic>-<partition>/` directory per partition, holding its segments.
 * The directory names and the segment rule are pure; the reading is {@link readTopicBytes}.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Each topic's bytes per partition; null for a topic that could not be read. */
export type TopicBytes = ReadonlyMap<string, ReadonlyMap<number, number> | null>;

// A partition's directory. A deleted topic's (`<topic>-<p>.<id>-delete`), a replica moving between
// directories (`-future`) and a stray one (`-stray`) end otherwise, and are not counted.
const partitionDirName = /^(.+)-(\d+)$/;

/** The topic and partition a directory of the log dir holds; undefined for anything else in it. */
export function partitionDir(name: string): { topic: string; partition: number } | undefined {
  const match = partitionDirName.exec(name);
  return match?.[1] && match[2] ? { topic: match[1], partition: Number(match[2]) } : undefined;
}

/**
 * Whether a partition's file counts toward its size: the segments (`*.log`), which hold the records. That is
 * what DescribeLogDirs reports as a partition's size. The indexes are left out: the active segment's two are
 * preallocated at 10 MiB each, so an empty partition would show 20 MiB.
 */
export function isSegment(file: string): boolean {
  return file.endsWith('.log');
}

/** The partition directories of `topics` among a log dir's entries: topic → partition → directory name. */
export function partitionDirs(
  entries: readonly string[],
  topics: readonly string[],
): Map<string, Map<number, string>> {
  const wanted = new Set(topics);
  const found = new Map<string, Map<number, string>>();
  for (const name of entries) {
    const dir = partitionDir(name);
    if (!dir || !wanted.has(dir.topic)) continue;
    const partitions = found.get(dir.topic) ?? new Map<number, string>();
    partitions.set(dir.partition, name);
    found.set(dir.topic, partitions);
  }
  return found;
}

/** A file-system failure (Node's errors carry a string `code`): one that makes a size unknown, not a bug. */
function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error && typeof error.code === 'string';
}

/** The bytes of a partition directory's segments. */
async function segmentBytes(dir: string): Promise<number> {
  const files = (await readdir(dir)).filter(isSegment);
  const sizes = await Promise.all(
    files.map((file) =>
      stat(join(dir, file)).then(
        (s) => s.size,
        (error: unknown) => {
          // Retention or compaction deleted the segment since the listing: it holds nothing any more.
          if (isFsError(error) && error.code === 'ENOENT') return 0;
          throw error;
        },
      ),
    ),
  );
  return sizes.reduce((sum, n) => sum + n, 0);
}

/**
 * Each of `topics`' bytes per partition in the log directory `logDir`. A topic is null when the directory
 * holds none of its partitions, or when one of them cannot be read (deleted meanwhile, no permission); every
 * topic is null when `logDir` itself cannot be read. Never throws for a file-system failure: the size is then
 * unknown, which the view shows as such.
 */
export async function readTopicBytes(logDir: string, topics: readonly string[]): Promise<TopicBytes> {
  let entries: string[];
  try {
    entries = await readdir(logDir);
  } catch (error) {
    if (!isFsError(error)) throw error;
    return new Map(topics.map((topic) => [topic, null]));
  }
  const dirs = partitionDirs(entries, topics);
  const read = async (topic: string): Promise<ReadonlyMap<number, number> | null> => {
    const partitions = dirs.get(topic);
    if (!partitions) return null;
    try {
      return new Map(
        await Promise.all(
          [...partitions].map(async ([p, name]) => [p, await segmentBytes(join(logDir, name))] as const),
        ),
      );
    } catch (error) {
      if (!isFsError(error)) throw error;
      return null;
    }
  };
  return new Map(await Promise.all(topics.map(async (topic) => [topic, await read(topic)] as const)));
}
