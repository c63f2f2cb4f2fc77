/**
 * The pure logic of fetch-users: which pages to ask for, which records of a page to keep (and why the
 * others are quarantined), and how to cut a page into `UsersFetched` details that fit EventBridge's 256 KB
 * entries. Time and the run's seed come in as arguments.
 */
import { z } from 'zod';
import { packBySize } from '../../lib/pack.ts';
import { limits } from '../../lib/topology.ts';
import type { ValidationError } from '../lib/errors.ts';
import { entrySize } from '../lib/eventbridge.ts';
import { detailTypes, eventSource, type User, type UsersFetched, userSchema } from '../lib/schemas.ts';
import { check } from '../lib/validate.ts';

/** The largest page randomuser serves. */
export const maxPageSize = limits.randomuserMaxResults;

/** What one run fetches. */
export interface FetchRequest {
  /** The same seed gives the same users, so a retried run fetches (and stores) the same users again. */
  seed: string;
  total: number;
  pageSize: number;
  firstPage: number;
  nat: string | undefined;
}

/**
 * The input fetch-users accepts: a scheduled event (or `sls invoke local` sample) whose optional fields
 * override the configured defaults. Unknown fields are ignored; a scheduled event's own `id` and `time`
 * derive the seed when none is given.
 */
export const fetchEventSchema = z
  .object({
    seed: z.string().min(1).max(200).optional(),
    total: z.number().int().min(1).max(1_000_000).optional(),
    pageSize: z.number().int().min(1).max(maxPageSize).optional(),
    firstPage: z.number().int().min(1).optional(),
    nat: z
      .string()
      .regex(/^[a-zA-Z]{2}(,[a-zA-Z]{2})*$/)
      .optional(),
    id: z.string().optional(),
    time: z.string().optional(),
  })
  .loose();
export type FetchEvent = z.output<typeof fetchEventSchema>;

/**
 * Resolves what to fetch from an event and the configured defaults.
 *
 * Without a seed in the event, the seed derives from the scheduled event's `time` (one tick, one seed), so
 * EventBridge's retry of a tick fetches the same users and changes nothing downstream; failing that, from
 * the `now` given.
 */
export function resolveRequest(
  event: FetchEvent,
  defaults: { total: number; pageSize: number; nat: string | undefined },
  now: Date,
): FetchRequest {
  return {
    seed: event.seed ?? `tick-${event.time ?? now.toISOString()}`,
    total: event.total ?? defaults.total,
    pageSize: Math.min(event.pageSize ?? defaults.pageSize, maxPageSize),
    firstPage: event.firstPage ?? 1,
    nat: event.nat ?? defaults.nat,
  };
}

/** The pages of a run: as many full pages as `total` needs, the last one smaller. */
export function planPages(request: FetchRequest): { page: number; results: number }[] {
  const pages: { page: number; results: number }[] = [];
  for (let offset = 0, page = request.firstPage; offset < request.total; offset += request.pageSize, page++) {
    pages.push({ page, results: Math.min(request.pageSize, request.total - offset) });
  }
  return pages;
}

/** A record set aside: where it was, which user (when known), and why. Never the record itself. */
export interface Quarantined {
  index: number;
  userId: string | undefined;
  code: string;
  reason: string;
}

/** The outcome of {@link acceptResults}. */
export interface AcceptedPage {
  /** Valid, new users, without credentials, in page order. */
  users: User[];
  quarantined: Quarantined[];
  /** Users skipped because the run already had them. */
  duplicates: number;
}

/** `login.uuid` of a raw record, when it has a string there. */
function rawUserId(record: unknown): string | undefined {
  const parsed = z.object({ login: z.object({ uuid: z.string().max(100) }) }).safeParse(record);
  return parsed.success ? parsed.data.login.uuid : undefined;
}

/**
 * Validates each record of a page on its own. Valid ones are parsed with `userSchema`, which drops the
 * `login` credentials and any unknown key; invalid ones are quarantined with the reason; users already in
 * `seen` (earlier in the run or the page) are skipped. Adds the accepted ids to `seen`.
 *
 * @param where - names the page in reasons, e.g. `randomuser page 2`
 */
export function acceptResults(results: readonly unknown[], where: string, seen: Set<string>): AcceptedPage {
  const users: User[] = [];
  const quarantined: Quarantined[] = [];
  let duplicates = 0;
  results.forEach((record, index) => {
    const checked = check(userSchema, record, `${where} results[${index}]`);
    if (!checked.ok) {
      quarantined.push(quarantine(index, rawUserId(record), checked.error));
      return;
    }
    const id = checked.value.login.uuid;
    if (seen.has(id)) {
      duplicates++;
      return;
    }
    seen.add(id);
    users.push(checked.value);
  });
  return { users, quarantined, duplicates };
}

function quarantine(index: number, userId: string | undefined, error: ValidationError): Quarantined {
  return { index, userId, code: error.code, reason: error.message };
}

/** What {@link toDetails} needs besides the users. */
export interface PageOrigin {
  seed: string;
  page: number;
  fetchedAt: Date;
}

/** The batch id of a page: stable across retries of the same seed and page. */
export function batchIdOf(seed: string, page: number): string {
  return `${seed}:${page}`;
}

/**
 * Cuts a page's users into `UsersFetched` details, in order, each small enough that its EventBridge entry
 * stays within `maxEntryBytes`.
 *
 * @returns the details, and the users too large for any entry (quarantined by the caller)
 */
export function toDetails(
  origin: PageOrigin,
  users: readonly User[],
  maxEntryBytes: number,
): { details: UsersFetched[]; oversized: User[] } {
  const base = {
    schemaVersion: 1 as const,
    batchId: batchIdOf(origin.seed, origin.page),
    seed: origin.seed,
    page: origin.page,
    part: 0,
    parts: 1,
    fetchedAt: origin.fetchedAt.toISOString(),
  };
  // Sized with the widest part numbers a page can have, so renumbering never pushes an entry over.
  const emptySize = entrySize(
    eventSource,
    detailTypes.usersFetched,
    JSON.stringify({ ...base, part: maxPageSize, parts: maxPageSize, users: [] }),
  );
  // Users are separated by a comma in the detail's JSON array.
  const { packs: chunks, oversized } = packBySize(users, (user) => Buffer.byteLength(JSON.stringify(user)), {
    maxBytes: maxEntryBytes,
    baseBytes: emptySize,
    separatorBytes: 1,
  });
  return {
    details: chunks.map((chunk, part) => ({ ...base, part, parts: chunks.length, users: chunk })),
    oversized,
  };
}

/** The summary fetch-users returns and logs. */
export interface FetchSummary {
  seed: string;
  pages: number;
  requested: number;
  received: number;
  published: number;
  quarantined: number;
  duplicates: number;
  events: number;
  putEventsCalls: number;
}
