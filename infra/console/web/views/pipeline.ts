/**
 * The pipeline view: every stage's count and rate from the live snapshots (/api/live), a chart of the last
 * 15 minutes, the end-to-end latency, and the last errors of each function.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { FunctionError, LiveSnapshot, StageCounts } from '../../api.ts';
import { type LiveState, subscribeLive } from '../api.ts';
import { Chart, type ChartSeries } from '../chart.ts';
import { count, countedAgo, dateTime, duration, plural, rate, time } from '../format.ts';
import { href } from '../route.ts';
import {
  type ChartMode,
  latencyColumns,
  nextPoints,
  type Point,
  throughputColumns,
  totalLag,
} from '../series.ts';
import { Badge, Loading } from '../ui.ts';

const stateWords: Record<LiveState, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Connection lost, reconnecting…',
};

export function PipelineView() {
  const [snapshot, setSnapshot] = useState<LiveSnapshot | null>(null);
  const [points, setPoints] = useState<Point[]>([]);
  const [live, setLive] = useState<LiveState>('connecting');
  useEffect(
    () =>
      subscribeLive((next) => {
        setSnapshot(next);
        setPoints((before) => nextPoints(before, next));
      }, setLive),
    [],
  );
  return html`
    <p class="live-state">
      <span aria-live="polite"><${Badge} tone=${live === 'open' ? 'ok' : 'warn'}>${stateWords[live]}<//></span>
      ${snapshot ? html` <span class="muted">last reading ${time(snapshot.at)}</span>` : ''}
    </p>
    ${snapshot ? html`<${Stages} snapshot=${snapshot} /><${Charts} points=${points} /><${Errors} errors=${snapshot.errors} functionLogs=${snapshot.functionLogs} />` : html`<${Loading} what="Waiting for the first reading" />`}
  `;
}

/** The partitions that lag, a few at most, or that none does. */
function lagLines(lag: StageCounts['lag'], most = 4): string[] {
  if (lag === null) return [];
  const behind = lag.filter((p) => p.lag > 0);
  if (behind.length === 0) return [`${plural(lag.length, 'partition')}, none behind`];
  const lines = behind.slice(0, most).map((p) => `partition ${p.partition}: ${count(p.lag)}`);
  return behind.length > most ? [...lines, `and ${plural(behind.length - most, 'more partition')}`] : lines;
}

/** One stage of the row: a name, a main figure and the lines under it. */
function Stage({
  name,
  main,
  unit,
  lines = [],
}: {
  name: string;
  main: string;
  unit?: string;
  lines?: string[];
}) {
  return html`<li class="stage">
    <h3>${name}</h3>
    <p class="figure">${main}${unit ? html` <span class="unit">${unit}</span>` : ''}</p>
    ${lines.map((line) => html`<p class="sub">${line}</p>`)}
  </li>`;
}

function Stages({ snapshot }: { snapshot: LiveSnapshot }) {
  const { counts: c, rates: r } = snapshot;
  const lag = totalLag(c);
  // A count read at a pace says how old it is, under its rate.
  const withAge = (key: keyof StageCounts, ...lines: string[]) => {
    const ago = countedAgo(snapshot.countedAt[key], snapshot.at);
    return ago === null ? lines : [...lines, ago];
  };
  return html`
    <section aria-labelledby="stages-title">
      <h2 id="stages-title" class="visually-hidden">Stages</h2>
      <ol class="stages">
        <${Stage}
          name="Fetched"
          main=${count(c.fetched)}
          lines=${[snapshot.functionLogs ? rate(r.fetched) : 'counted under npm start']}
        />
        <${Stage} name="Bus" main=${count(c.busPending)} unit="pending" lines=${[`${count(c.busDeadLettered)} dead-lettered`]} />
        <${Stage} name="Stored" main=${count(c.stored)} lines=${withAge('stored', rate(r.stored))} />
        <${Stage} name="Outbox" main=${count(c.outboxPending)} unit="pending" lines=${withAge('outboxPending', `${count(c.outboxDead)} dead`)} />
        <${Stage} name="Published" main=${count(c.published)} lines=${withAge('published', rate(r.published))} />
        <${Stage}
          name="Kafka lag"
          main=${count(lag)}
          lines=${lagLines(c.lag)}
        />
        <${Stage} name="Cassandra" main=${count(c.cassandraRows)} lines=${withAge('cassandraRows', rate(r.cassandraRows))} />
      </ol>
      <p class="dead-letters">
        Dead letters: <strong>${count(c.deadLetters)}</strong> on the topic (${rate(r.deadLetters)}),${' '}
        <strong>${count(c.busDeadLettered)}</strong> on the bus.${' '}
        <a href=${href('/dead-letters')}>See and re-drive them</a>
      </p>
      <dl class="latency">
        <div><dt>Latency p50</dt><dd>${duration(snapshot.latency.p50Ms)}</dd></div>
        <div><dt>Latency p99</dt><dd>${duration(snapshot.latency.p99Ms)}</dd></div>
        <div><dt>Samples</dt><dd>${count(snapshot.latency.samples)}</dd></div>
      </dl>
      <p class="muted small">Latency runs from the outbox commit to the Cassandra write, over recently published users.</p>
    </section>
  `;
}

const flowSeries = (mode: ChartMode): ChartSeries[] => {
  const format = mode === 'rates' ? rate : count;
  return [
    { label: 'Fetched', color: '#6639ba', format },
    { label: 'Stored', color: '#0969da', format },
    { label: 'Published', color: '#1a7f37', format },
    { label: 'Cassandra', color: '#bc4c00', format },
    { label: 'Lag', color: '#cf222e', scale: 'y2', dash: [6, 4], format: count },
  ];
};

const latencySeries: ChartSeries[] = [
  { label: 'p50', color: '#0969da', format: duration },
  { label: 'p99', color: '#cf222e', format: duration },
];

function Charts({ points }: { points: Point[] }) {
  const [mode, setMode] = useState<ChartMode>('rates');
  const flow = useMemo(() => throughputColumns(points, mode), [points, mode]);
  const latency = useMemo(() => latencyColumns(points), [points]);
  const series = useMemo(() => flowSeries(mode), [mode]);
  return html`
    <section aria-labelledby="charts-title">
      <h2 id="charts-title">Last 15 minutes</h2>
      <fieldset class="inline">
        <legend>Chart</legend>
        <label><input type="radio" name="chart-mode" value="rates" checked=${mode === 'rates'} onChange=${() => setMode('rates')} /> users per second</label>
        <label><input type="radio" name="chart-mode" value="totals" checked=${mode === 'totals'} onChange=${() => setMode('totals')} /> running totals</label>
      </fieldset>
      <div class="charts">
        <${Chart}
          caption=${mode === 'rates' ? 'Users per second at each stage, and the consumer lag (dashed, right axis)' : 'Users counted at each stage, and the consumer lag (dashed, right axis)'}
          series=${series}
          data=${flow}
          axes=${{ y: mode === 'rates' ? 'users/s' : 'users', y2: 'lag' }}
        />
        <${Chart} caption="End-to-end latency, p50 and p99" series=${latencySeries} data=${latency} axes=${{ y: 'ms' }} height=${160} />
      </div>
    </section>
  `;
}

function Errors({ errors, functionLogs }: { errors: FunctionError[]; functionLogs: boolean }) {
  return html`
    <section aria-labelledby="errors-title">
      <h2 id="errors-title">Last errors</h2>
      ${
        !functionLogs
          ? html`<p class="muted">
              None to show: the console reads the functions' errors (and the fetched count) from their log
              lines, which it sees when <code>npm start</code> runs it, not under <code>npm run console</code> on
              its own.
            </p>`
          : errors.length === 0
            ? html`<p class="muted">None: no function has logged an error since the console started.</p>`
            : html`<table>
              <caption class="visually-hidden">The last errors of each function, newest first</caption>
              <thead><tr><th scope="col">Function</th><th scope="col">Code</th><th scope="col">Message</th><th scope="col">At</th></tr></thead>
              <tbody>
                ${errors.map(
                  (e) => html`<tr>
                    <th scope="row">${e.function}</th>
                    <td><code>${e.code}</code></td>
                    <td class="text">${e.message}</td>
                    <td><time datetime=${e.at} title=${dateTime(e.at)}>${time(e.at)}</time></td>
                  </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>
  `;
}
