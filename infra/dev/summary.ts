/**
 * The live summary `npm start` prints every few seconds: how far each stage of the pipeline has got. The
 * reading itself is the console's (infra/console/counts.ts `pacedSummary`), so the line and the page show
 * the same numbers; `formatSummary` and `countFetched` are pure.
 */
import type { PipelineSummary } from '../console/counts.ts';

/**
 * `fetched 1000 · bus 0 pending 0 dead-lettered · stored 1000 · outbox 0 pending · published 1000 · lag 0 [p0:0
 * p1:0 p2:0] · cassandra 1000 · dlq 0`
 */
export function formatSummary(s: PipelineSummary): string {
  const n = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '?' : String(v));
  const lag =
    s.lag === undefined
      ? '?'
      : `${s.lag.reduce((sum, p) => sum + p.lag, 0)} [${s.lag.map((p) => `p${p.partition}:${p.lag}`).join(' ')}]`;
  const dead = s.outboxDead ? ` (${s.outboxDead} dead)` : '';
  return [
    `fetched ${n(s.fetched)}`,
    `bus ${n(s.busPending)} pending ${n(s.busDeadLettered)} dead-lettered`,
    `stored ${n(s.stored)}`,
    `outbox ${n(s.outboxPending)} pending${dead}`,
    `published ${n(s.published)}`,
    `lag ${lag}`,
    `cassandra ${n(s.cassandraRows)}`,
    `dlq ${n(s.deadLetters)}`,
  ].join(' · ');
}

/**
 * Sums the users fetch-users reports in its `run complete` log lines, which `npm start` sees in
 * serverless-offline's output. Returns the new total.
 */
export function countFetched(line: string, total: number): number {
  if (!line.includes('"run complete"') || !line.includes('"service":"fetch-users"')) return total;
  try {
    const entry: unknown = JSON.parse(line.slice(line.indexOf('{')));
    if (
      typeof entry === 'object' &&
      entry !== null &&
      'received' in entry &&
      typeof entry.received === 'number'
    ) {
      return total + entry.received;
    }
  } catch {
    // Not one of the function's JSON lines after all.
  }
  return total;
}
