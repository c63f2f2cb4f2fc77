/**
 * The event-sources view: each event-source mapping with its state, a Pause/Resume switch (AWS's disable and
 * enable of a mapping; pausing lets the group's offsets be reset), the counters AWS publishes for a mapping,
 * and its recent invocations. Refreshes every five seconds while the box is ticked.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { EventSourceToggle, EventSourceView, InvocationView } from '../../api.ts';
import { postJson } from '../api.ts';
import { count, dateTime, duration, time } from '../format.ts';
import { href } from '../route.ts';
import { Badge, ErrorNote, Loading, RefreshBar, type Tone, useAction, useApi, useConfirm } from '../ui.ts';

const refreshMs = 5000;

const stateTone: Record<EventSourceView['state'], Tone> = {
  Enabled: 'ok',
  Enabling: 'warn',
  Disabling: 'warn',
  Disabled: 'neutral',
};

const outcomeTone: Record<InvocationView['outcome'], Tone> = {
  ok: 'ok',
  partial: 'warn',
  failed: 'bad',
  'sent-to-destination': 'bad',
};

/** AWS's metrics by the MetricsConfig group that publishes them (infra/offline-kafka/stats.ts). */
const metricNames: Array<
  [EventSourceView['metricsConfig'][number], Array<[keyof EventSourceView['metrics'], string]>]
> = [
  [
    'EventCount',
    [
      ['PolledEventCount', 'Polled'],
      ['FilteredOutEventCount', 'Filtered out'],
      ['InvokedEventCount', 'Invoked'],
      ['FailedInvokeEventCount', 'Failed'],
      ['DroppedEventCount', 'Dropped'],
      ['OnFailureDestinationDeliveredEventCount', 'Sent to the on-failure destination'],
      ['CommittedEventCount', 'Committed'],
    ],
  ],
  [
    'ErrorCount',
    [
      ['PollingErrorCount', 'Polling errors'],
      ['InvokeErrorCount', 'Failed invocations'],
      ['OnFailureDestinationDeliveryErrorCount', 'Destination write errors'],
      ['SchemaRegistryErrorCount', 'Schema registry errors'],
      ['CommitErrorCount', 'Commit errors'],
    ],
  ],
  [
    'KafkaMetrics',
    [
      ['SumOffsetLag', 'Offset lag'],
      ['MaxOffsetLag', 'Largest partition lag'],
    ],
  ],
];

export function EventSourcesView() {
  const [auto, setAuto] = useState(true);
  const sources = useApi<EventSourceView[]>('/api/event-sources', auto ? refreshMs : undefined);
  const { dialog, confirm } = useConfirm();
  const toggle = useAction<EventSourceView>();

  const flip = async (source: EventSourceView) => {
    const enabled = source.state === 'Disabled' || source.state === 'Disabling';
    const ok = await confirm({
      title: enabled ? `Resume ${source.functionName}?` : `Pause ${source.functionName}?`,
      body: enabled
        ? `It polls ${source.topic} again from group ${source.groupId}'s committed offsets.`
        : `It stops polling ${source.topic} and group ${source.groupId} loses its members, so its offsets can be reset. Records wait in Kafka until it resumes.`,
      action: enabled ? 'Resume' : 'Pause',
    });
    if (!ok) return;
    const body: EventSourceToggle = { enabled };
    const done = await toggle.run(() =>
      postJson<EventSourceView>(`/api/event-sources/${encodeURIComponent(source.uuid)}`, body),
    );
    if (done) sources.reload();
  };

  return html`
    <div class="toolbar">
      <${RefreshBar} loaded=${sources} />
      <label class="choice"><input type="checkbox" checked=${auto} onChange=${() => setAuto(!auto)} /> refresh every ${refreshMs / 1000} s</label>
    </div>
    <${ErrorNote} error=${sources.error} />
    <${ErrorNote} error=${toggle.error} />
    ${!sources.data && sources.loading ? html`<${Loading} />` : ''}
    ${sources.data?.length === 0 ? html`<p class="muted">No event-source mapping: is the pipeline running (<code>npm start</code>)?</p>` : ''}
    ${(sources.data ?? []).map((s) => html`<${Mapping} source=${s} onFlip=${() => flip(s)} busy=${toggle.pending} />`)}
    ${dialog}
  `;
}

function Mapping({
  source: s,
  onFlip,
  busy,
}: {
  source: EventSourceView;
  onFlip: () => void;
  busy: boolean;
}) {
  const paused = s.state === 'Disabled' || s.state === 'Disabling';
  const id = `esm-${s.uuid}`;
  return html`<section class="card" aria-labelledby=${id}>
    <div class="card-head">
      <h2 id=${id}>${s.functionName} <span class="muted">← ${s.topic}</span></h2>
      <${Badge} tone=${stateTone[s.state]}>${s.state}<//>
      <button type="button" class=${paused ? 'primary' : ''} disabled=${busy} onClick=${onFlip}>${paused ? 'Resume…' : 'Pause…'}</button>
    </div>
    <p class="muted small">Mapping <code>${s.uuid}</code>, consumer group <code>${s.groupId}</code>.
      ${paused ? html` Paused: its group can be <a href=${href('/kafka')}>reset</a>.` : ''}</p>
    <h3>AWS metrics <span class="muted small">(counted since the start)</span></h3>
    ${s.metricsConfig.length === 0 ? html`<p class="muted small">None published: the event sets no <code>metricsConfig</code>, so AWS publishes none either.</p>` : ''}
    <dl class="metrics">
      ${metricNames
        .filter(([group]) => s.metricsConfig.includes(group))
        .flatMap(([, names]) => names)
        .map(
          ([key, label]) =>
            html`<div><dt>${label} <span class="muted small">${key}</span></dt><dd>${count(s.metrics[key] ?? null)}</dd></div>`,
        )}
    </dl>
    ${
      s.metricsConfig.length > 0 && s.metricsConfig.length < metricNames.length
        ? html`<p class="muted small">Not published (not in <code>metricsConfig</code>): ${metricNames
            .map(([group]) => group)
            .filter((group) => !s.metricsConfig.includes(group))
            .join(', ')}.</p>`
        : ''
    }
    <table>
      <caption>Recent invocations, newest first</caption>
      <thead><tr>
        <th scope="col">At</th><th scope="col" class="num">Partition</th><th scope="col" class="num">Records</th><th scope="col">Offsets</th>
        <th scope="col" class="num">Duration</th><th scope="col">Outcome</th><th scope="col" class="num">Retries</th><th scope="col" class="num">Bisections</th>
      </tr></thead>
      <tbody>
        ${s.invocations.map(
          (i) => html`<tr>
            <th scope="row"><time datetime=${i.at} title=${dateTime(i.at)}>${time(i.at)}</time></th>
            <td class="num">${i.partition}</td><td class="num">${count(i.records)}</td>
            <td>${i.firstOffset} – ${i.lastOffset}</td><td class="num">${duration(i.durationMs)}</td>
            <td><${Badge} tone=${outcomeTone[i.outcome]}>${i.outcome}<//></td>
            <td class="num">${i.retries}</td><td class="num">${i.bisections}</td>
          </tr>`,
        )}
        ${s.invocations.length === 0 ? html`<tr><td colspan="8" class="muted">No invocation yet.</td></tr>` : ''}
      </tbody>
    </table>
  </section>`;
}
