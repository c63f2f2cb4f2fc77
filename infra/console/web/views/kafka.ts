/**
 * The Kafka view: broker health and version, topics with their watermarks and sizes, consumer groups with
 * each partition's committed offset and lag, and the form that resets a group's offsets (a replay), which
 * offers the run's sink group first. Kafka refuses a reset while the group has members, so the form says how
 * to pause the event source first.
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { GroupView, KafkaView, OffsetResetRequest, OffsetResetResult, TopicView } from '../../api.ts';
import { ApiRequestError, postJson } from '../api.ts';
import { bytes, count, localInputToIso, plural } from '../format.ts';
import { defaultReset, groupTopic } from '../reset-choice.ts';
import { href } from '../route.ts';
import { Badge, ErrorNote, inputValue, Loading, RefreshBar, useAction, useApi, useConfirm } from '../ui.ts';

export function KafkaViewPage() {
  const kafka = useApi<KafkaView>('/api/kafka');
  const [filter, setFilter] = useState('');
  // A group picked from the table for the reset form; the count makes a second pick of the same group count.
  const [pick, setPick] = useState<{ groupId: string; n: number } | null>(null);
  const pickGroup = (groupId: string) => setPick((p) => ({ groupId, n: (p?.n ?? 0) + 1 }));
  const data = kafka.data;
  const match = (name: string) => name.toLowerCase().includes(filter.trim().toLowerCase());
  return html`
    <${RefreshBar} loaded=${kafka} />
    <${ErrorNote} error=${kafka.error} />
    ${
      data
        ? html`
          <${Broker} kafka=${data} />
          <div class="field inline-field">
            <label for="kafka-filter">Filter topics and groups by name</label>
            <input id="kafka-filter" type="search" value=${filter} onInput=${(e: Event) => setFilter(inputValue(e))} />
          </div>
          <${Topics} topics=${data.topics.filter((t) => match(t.name))} />
          <${Groups}
            groups=${data.groups.filter((g) => match(g.groupId) || g.topics.some((t) => match(t.topic)))}
            onReset=${pickGroup}
          />
          <${ResetForm} kafka=${data} pick=${pick} onDone=${kafka.reload} />`
        : kafka.error
          ? ''
          : html`<${Loading} />`
    }
  `;
}

function Broker({ kafka }: { kafka: KafkaView }) {
  return html`<section aria-labelledby="broker-title">
    <h2 id="broker-title">Broker</h2>
    <dl class="facts">
      <div><dt>Health</dt><dd><${Badge} tone=${kafka.healthy ? 'ok' : 'bad'}>${kafka.healthy ? 'healthy' : 'unhealthy'}<//></dd></div>
      <div><dt>Version</dt><dd>${kafka.version}</dd></div>
      <div><dt>Cluster</dt><dd><code>${kafka.clusterId}</code></dd></div>
      <div><dt>Controller</dt><dd>${kafka.controller ?? '?'}</dd></div>
      <div><dt>Brokers</dt><dd>${kafka.brokers.map((b) => `${b.nodeId}: ${b.host}:${b.port}`).join(', ')}</dd></div>
    </dl>
  </section>`;
}

function Topics({ topics }: { topics: TopicView[] }) {
  return html`<section aria-labelledby="topics-title">
    <h2 id="topics-title">Topics</h2>
    <table>
      <caption>Each topic's partitions with their low and high watermarks (records = high − low) and their size on the broker's disk</caption>
      <thead><tr>
        <th scope="col">Topic</th><th scope="col" class="num">Partitions</th><th scope="col">Watermarks per partition (low – high)</th>
        <th scope="col" class="num">Records</th><th scope="col" class="num">Size</th>
      </tr></thead>
      <tbody>
        ${topics.map(
          (t) => html`<tr>
            <th scope="row"><a href=${href('/messages', { topic: t.name, partition: t.partitions[0]?.partition ?? 0 })}>${t.name}</a></th>
            <td class="num">${t.partitions.length}</td>
            <td><ul class="plain">${t.partitions.map((p) => html`<li>${p.partition}: ${p.low} – ${p.high} <span class="muted">(leader ${p.leader}${p.bytes === null ? '' : `, ${bytes(p.bytes)}`})</span></li>`)}</ul></td>
            <td class="num">${count(t.records)}</td>
            <td class="num">${t.bytes === null ? html`<span class="muted">not reported</span>` : bytes(t.bytes)}</td>
          </tr>`,
        )}
        ${topics.length === 0 ? html`<tr><td colspan="5" class="muted">No topic matches.</td></tr>` : ''}
      </tbody>
    </table>
  </section>`;
}

function Groups({ groups, onReset }: { groups: GroupView[]; onReset: (groupId: string) => void }) {
  return html`<section aria-labelledby="groups-title">
    <h2 id="groups-title">Consumer groups</h2>
    <table>
      <caption>Each group's committed offset and lag per partition</caption>
      <thead><tr>
        <th scope="col">Group</th><th scope="col">State</th><th scope="col" class="num">Members</th><th scope="col">Topic</th>
        <th scope="col" class="num">Partition</th><th scope="col" class="num">Committed</th><th scope="col" class="num">High</th><th scope="col" class="num">Lag</th>
      </tr></thead>
      ${groups.map((g) => {
        const rows = g.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
        const span = Math.max(rows.length, 1);
        const head = html`<th scope="rowgroup" rowspan=${span}>
            ${g.groupId}<br />
            <button type="button" class="link small" onClick=${() => onReset(g.groupId)}>reset offsets<span class="visually-hidden"> of ${g.groupId}</span>…</button>
          </th>
          <td rowspan=${span}><${Badge} tone=${g.state === 'Stable' ? 'ok' : g.state === 'Empty' ? 'neutral' : 'warn'}>${g.state}<//></td>
          <td rowspan=${span} class="num">${g.members}</td>`;
        return html`<tbody>
          ${
            rows.length === 0
              ? html`<tr>${head}<td colspan="5" class="muted">No committed offsets.</td></tr>`
              : rows.map(
                  (r, i) => html`<tr>
                    ${i === 0 ? head : ''}
                    <td>${r.topic}</td><td class="num">${r.partition}</td><td class="num">${r.committed}</td>
                    <td class="num">${r.high}</td><td class="num">${count(r.lag)}</td>
                  </tr>`,
                )
          }
        </tbody>`;
      })}
      ${groups.length === 0 ? html`<tbody><tr><td colspan="8" class="muted">No group matches.</td></tr></tbody>` : ''}
    </table>
  </section>`;
}

type ResetTo = OffsetResetRequest['to'];

interface ResetFormProps {
  kafka: KafkaView;
  pick: { groupId: string; n: number } | null;
  onDone: () => void;
}

function ResetForm({ kafka, pick, onDone }: ResetFormProps) {
  // Chosen once, from the first answer: a later refresh must not undo what the user picked.
  const [initial] = useState(() => defaultReset(kafka));
  const [groupId, setGroupId] = useState(initial.groupId);
  const groupSelect = useRef<HTMLSelectElement>(null);
  const group = kafka.groups.find((g) => g.groupId === groupId);
  const [topic, setTopic] = useState(initial.topic);
  const [to, setTo] = useState<ResetTo>('earliest');
  const [timestamp, setTimestamp] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const reset = useAction<OffsetResetResult>();
  const { dialog, confirm } = useConfirm();

  const chooseGroup = (id: string) => {
    setGroupId(id);
    const first = groupTopic(kafka, id);
    if (first) setTopic(first);
  };
  useEffect(() => {
    if (!pick) return;
    chooseGroup(pick.groupId);
    groupSelect.current?.scrollIntoView({ block: 'center' });
    groupSelect.current?.focus();
  }, [pick]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const at = to === 'timestamp' ? localInputToIso(timestamp) : null;
    if (!groupId || !topic) return setInvalid('Choose a group and a topic.');
    if (to === 'timestamp' && !at) return setInvalid('Enter the date and time to replay from.');
    setInvalid(null);
    const body: OffsetResetRequest = at
      ? { topic, to: 'timestamp', timestamp: at }
      : { topic, to: to === 'latest' ? 'latest' : 'earliest' };
    const target = at
      ? `the first record at or after ${timestamp.replace('T', ' ')} (local time)`
      : `the ${to} offset`;
    const ok = await confirm({
      title: 'Reset the offsets?',
      body: `Group ${groupId} will resume ${topic} from ${target} on every partition. Records before it are skipped; records after it are consumed again (a replay).`,
      action: 'Reset offsets',
    });
    if (!ok) return;
    const done = await reset.run(() =>
      postJson<OffsetResetResult>(`/api/kafka/groups/${encodeURIComponent(groupId)}/reset`, body),
    );
    if (done) onDone();
  };

  const busy = reset.error instanceof ApiRequestError && reset.error.status === 409;
  return html`<section aria-labelledby="reset-title">
    <h2 id="reset-title">Reset a group's offsets</h2>
    <form class="form" onSubmit=${submit} noValidate>
      <div class="field">
        <label for="reset-group">Group</label>
        <select id="reset-group" ref=${groupSelect} value=${groupId} onChange=${(e: Event) => chooseGroup(inputValue(e))}>
          ${kafka.groups.map((g) => html`<option value=${g.groupId}>${g.groupId} (${plural(g.members, 'member')})</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="reset-topic">Topic</label>
        <select id="reset-topic" value=${topic} onChange=${(e: Event) => setTopic(inputValue(e))}>
          ${kafka.topics.map((t) => html`<option value=${t.name}>${t.name}</option>`)}
        </select>
      </div>
      <fieldset>
        <legend>Reset to</legend>
        ${(['earliest', 'latest', 'timestamp'] as const).map(
          (value) => html`<label class="choice">
            <input type="radio" name="reset-to" value=${value} checked=${to === value} onChange=${() => setTo(value)} />
            ${value === 'earliest' ? 'earliest (replay everything)' : value === 'latest' ? 'latest (skip everything)' : 'a time (replay from it)'}
          </label>`,
        )}
        <div class="field">
          <label for="reset-time">Time to replay from (local time)</label>
          <input id="reset-time" type="datetime-local" step="1" value=${timestamp} disabled=${to !== 'timestamp'}
            onInput=${(e: Event) => setTimestamp(inputValue(e))} />
        </div>
      </fieldset>
      ${
        group && group.members > 0
          ? html`<p class="note">
              ${group.groupId} has ${plural(group.members, 'member')}: Kafka refuses a reset until they leave.${' '}
              <a href=${href('/event-sources')}>Pause the event source</a> first.
            </p>`
          : ''
      }
      ${invalid ? html`<p class="error" role="alert">${invalid}</p>` : ''}
      <div class="actions"><button type="submit" class="primary" disabled=${reset.pending}>${reset.pending ? 'Resetting…' : 'Reset offsets…'}</button></div>
    </form>
    <${ErrorNote} error=${reset.error}>
      ${busy ? html`<p>Pause the event source first: <a href=${href('/event-sources')}>Event sources</a>, then come back.</p>` : ''}
    <//>
    ${
      reset.result
        ? html`<table class="result" aria-live="polite">
            <caption>Group ${reset.result.groupId} now starts ${reset.result.topic} at</caption>
            <thead><tr><th scope="col" class="num">Partition</th><th scope="col" class="num">Offset</th></tr></thead>
            <tbody>${reset.result.partitions.map((p) => html`<tr><td class="num">${p.partition}</td><td class="num">${p.offset}</td></tr>`)}</tbody>
          </table>`
        : ''
    }
    ${dialog}
  </section>`;
}
