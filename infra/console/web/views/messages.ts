/**
 * The messages view: browse a topic's partition from an offset or a time, a page at a time, each record with
 * its key, headers and decoded value; and find one user across every hop of the pipeline (users_raw, the
 * outbox, Kafka, Cassandra). The route's query (`?topic&partition&offset|timestamp`, `?user`) opens a record or
 * a user directly, which is how the other views link here.
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { KafkaView, MessagePage, MessageView, UserTrace } from '../../api.ts';
import { dateTime, localInputToIso, previousOffset, bytes as size } from '../format.ts';
import { Badge, ErrorNote, FoldedValue, inputValue, Loading, RecordLink, useApi } from '../ui.ts';

const limits = [10, 20, 50, 100] as const;

interface Seek {
  topic: string;
  partition: string;
  by: 'offset' | 'timestamp';
  offset: string;
  timestamp: string;
  limit: number;
}

function pagePath(seek: Seek, offset?: string): string | null {
  const params = new URLSearchParams({
    topic: seek.topic,
    partition: seek.partition,
    limit: String(seek.limit),
  });
  if (offset !== undefined) params.set('offset', offset);
  else if (seek.by === 'timestamp') {
    const at = localInputToIso(seek.timestamp);
    if (!at) return null;
    params.set('timestamp', at);
  } else if (seek.offset.trim() !== '') params.set('offset', seek.offset.trim());
  return `/api/messages?${params}`;
}

export function MessagesView({ query }: { query: URLSearchParams }) {
  const kafka = useApi<KafkaView>('/api/kafka');
  const [seek, setSeek] = useState<Seek>({
    topic: '',
    partition: '0',
    by: 'offset',
    offset: '',
    timestamp: '',
    limit: 20,
  });
  const [pageAt, setPageAt] = useState<string | null>(null);
  const [userId, setUserId] = useState('');
  const [userAt, setUserAt] = useState<string | null>(null);
  const page = useApi<MessagePage>(pageAt);
  const user = useApi<UserTrace>(userAt);
  const userHeading = useRef<HTMLHeadingElement>(null);

  const findUser = (id: string) => {
    setUserId(id);
    setUserAt(id.trim() ? `/api/users/${encodeURIComponent(id.trim())}` : null);
    userHeading.current?.scrollIntoView({ block: 'start' });
  };

  // A link from another view (or this one) says what to open.
  const search = query.toString();
  useEffect(() => {
    const topic = query.get('topic');
    if (topic) {
      const next: Seek = {
        ...seek,
        topic,
        partition: query.get('partition') ?? '0',
        by: query.has('timestamp') ? 'timestamp' : 'offset',
        offset: query.get('offset') ?? '',
        timestamp: query.get('timestamp') ?? '',
      };
      setSeek(next);
      setPageAt(pagePath(next));
    }
    const id = query.get('user');
    if (id) findUser(id);
  }, [search]);

  const topics = kafka.data?.topics ?? [];
  const partitions = topics.find((t) => t.name === seek.topic)?.partitions.map((p) => p.partition);
  const set = (patch: Partial<Seek>) => setSeek((s) => ({ ...s, ...patch }));
  const submit = (event: Event) => {
    event.preventDefault();
    setPageAt(pagePath(seek));
  };
  const data = page.data;
  const previous = data ? previousOffset(data.from, data.low, seek.limit) : null;

  return html`
    <section aria-labelledby="user-title">
      <h2 id="user-title" ref=${userHeading}>Find a user</h2>
      <form class="form row" onSubmit=${(e: Event) => {
        e.preventDefault();
        findUser(userId);
      }}>
        <div class="field wide">
          <label for="user-id">User id (login.uuid, the record key)</label>
          <input id="user-id" required spellcheck=${false} autocomplete="off" value=${userId} onInput=${(e: Event) => setUserId(inputValue(e))} />
        </div>
        <div class="actions"><button type="submit" class="primary">Find</button></div>
      </form>
      <${ErrorNote} error=${user.error} />
      ${user.loading ? html`<${Loading} what="Looking in every store" />` : ''}
      ${user.data && !user.loading ? html`<${Trace} trace=${user.data} />` : ''}
    </section>
    <section aria-labelledby="browse-title">
      <h2 id="browse-title">Browse a topic</h2>
      <form class="form row" onSubmit=${submit}>
        <div class="field topic">
          <label for="msg-topic">Topic</label>
          <input id="msg-topic" list="msg-topics" required value=${seek.topic} onInput=${(e: Event) => set({ topic: inputValue(e) })} />
          <datalist id="msg-topics">${topics.map((t) => html`<option value=${t.name}></option>`)}</datalist>
        </div>
        <div class="field narrow">
          <label for="msg-partition">Partition</label>
          ${
            partitions && partitions.length > 0
              ? html`<select id="msg-partition" value=${seek.partition} onChange=${(e: Event) => set({ partition: inputValue(e) })}>
                  ${partitions.map((p) => html`<option value=${String(p)}>${p}</option>`)}
                </select>`
              : html`<input id="msg-partition" type="number" min="0" required value=${seek.partition} onInput=${(e: Event) => set({ partition: inputValue(e) })} />`
          }
        </div>
        <fieldset class="inline">
          <legend>Start at</legend>
          <label class="choice"><input type="radio" name="msg-by" checked=${seek.by === 'offset'} onChange=${() => set({ by: 'offset' })} /> an offset</label>
          <label class="choice"><input type="radio" name="msg-by" checked=${seek.by === 'timestamp'} onChange=${() => set({ by: 'timestamp' })} /> a time</label>
        </fieldset>
        ${
          seek.by === 'offset'
            ? html`<div class="field">
                <label for="msg-offset">Offset (empty: the newest page)</label>
                <input id="msg-offset" inputmode="numeric" pattern="[0-9]*" value=${seek.offset} onInput=${(e: Event) => set({ offset: inputValue(e) })} />
              </div>`
            : html`<div class="field">
                <label for="msg-time">Time (local)</label>
                <input id="msg-time" type="datetime-local" step="1" required value=${seek.timestamp} onInput=${(e: Event) => set({ timestamp: inputValue(e) })} />
              </div>`
        }
        <div class="field narrow">
          <label for="msg-limit">Per page</label>
          <select id="msg-limit" value=${String(seek.limit)} onChange=${(e: Event) => set({ limit: Number(inputValue(e)) })}>
            ${limits.map((n) => html`<option value=${String(n)}>${n}</option>`)}
          </select>
        </div>
        <div class="actions"><button type="submit" class="primary">Show</button></div>
      </form>
      <${ErrorNote} error=${page.error} />
      ${page.loading && !data ? html`<${Loading} />` : ''}
      ${
        data
          ? html`
            <nav class="pager" aria-label="Pages of ${data.topic} partition ${data.partition}">
              <button type="button" disabled=${previous === null || page.loading} onClick=${() => setPageAt(pagePath(seek, previous ?? undefined))}>← Previous</button>
              <p role="status">
                ${data.messages.length === 0 ? 'No records here' : `Offsets ${data.from} – ${data.messages.at(-1)?.offset}`}
                <span class="muted"> of ${data.low} – ${data.high} on ${data.topic} / ${data.partition}</span>
              </p>
              <button type="button" disabled=${data.next === null || page.loading} onClick=${() => setPageAt(pagePath(seek, data.next ?? undefined))}>Next →</button>
            </nav>
            ${data.registryError ? html`<p class="muted small" role="note">Schema versions unknown: ${data.registryError}</p>` : ''}
            <table class="records">
              <caption class="visually-hidden">Records of ${data.topic} partition ${data.partition}</caption>
              <thead><tr>
                <th scope="col" class="num">Offset</th><th scope="col">Time</th><th scope="col">Key</th>
                <th scope="col" class="num">Size</th><th scope="col">Headers and value</th>
              </tr></thead>
              <tbody>${data.messages.map((m) => html`<${Message} message=${m} onFindUser=${findUser} />`)}</tbody>
            </table>`
          : ''
      }
    </section>
  `;
}

function Message({ message: m, onFindUser }: { message: MessageView; onFindUser: (id: string) => void }) {
  const headers = Object.entries(m.headers);
  return html`<tr>
    <th scope="row" class="num">${m.offset}</th>
    <td class="nowrap"><time datetime=${m.timestamp}>${dateTime(m.timestamp)}</time></td>
    <td class="nowrap">
      ${m.key === null ? html`<span class="muted">none</span>` : html`<code>${m.key}</code>`}
      ${m.key ? html`<br /><button type="button" class="link small" onClick=${() => onFindUser(m.key ?? '')}>find this user<span class="visually-hidden"> (${m.key})</span></button>` : ''}
    </td>
    <td class="num nowrap">${size(m.size)}</td>
    <td class="text">
      ${
        headers.length > 0
          ? html`<details class="folded"><summary>Headers (${headers.length})</summary>
              <dl class="facts compact">${headers.map(([k, v]) => html`<div><dt><code>${k}</code></dt><dd>${v}</dd></div>`)}</dl>
            </details>`
          : html`<p class="muted small">No headers.</p>`
      }
      ${m.schema === null ? '' : html`<${SchemaNote} schema=${m.schema} />`}
      <${FoldedValue} value=${m.value} />
    </td>
  </tr>`;
}

/** The schema a value in the Confluent wire format names: its registry id and version. */
export function SchemaNote({ schema }: { schema: NonNullable<MessageView['schema']> }) {
  const version =
    schema.version === null
      ? html`<span class="muted">version unknown to the registry</span>`
      : html`version <strong>${schema.version}</strong>`;
  return html`<p class="small schema-id">Wire format: schema id <code>${schema.id}</code>, ${version}</p>`;
}

function Hop({ n, name, found, children }: { n: number; name: string; found: boolean; children: unknown }) {
  return html`<li class=${`hop ${found ? 'found' : 'missing'}`}>
    <h3><span class="step">${n}</span> ${name} <${Badge} tone=${found ? 'ok' : 'neutral'}>${found ? 'found' : 'not here (yet)'}<//></h3>
    ${children}
  </li>`;
}

function Trace({ trace: t }: { trace: UserTrace }) {
  if (!t.usersRaw && !t.outbox && !t.kafka && !t.cassandra) {
    return html`<p class="note">No user ${t.id} in users_raw, the outbox, Kafka or Cassandra. Check the id: it is the user's login.uuid, the key of its record.</p>`;
  }
  const outboxTone = t.outbox?.state === 'published' ? 'ok' : t.outbox?.state === 'dead' ? 'bad' : 'warn';
  return html`<ol class="hops" aria-label=${`User ${t.id} across the pipeline`}>
    <${Hop} n=${1} name="users_raw (PostgreSQL)" found=${t.usersRaw !== null}>
      ${
        t.usersRaw &&
        html`<dl class="facts compact">
            <div><dt>Batch</dt><dd><code>${t.usersRaw.batchId}</code></dd></div>
            <div><dt>Fetched</dt><dd>${dateTime(t.usersRaw.fetchedAt)}</dd></div>
            <div><dt>Stored</dt><dd>${dateTime(t.usersRaw.storedAt)}</dd></div>
          </dl>
          <${FoldedValue} label="Payload" value=${{ kind: 'json', json: t.usersRaw.payload }} />`
      }
    <//>
    <${Hop} n=${2} name="Outbox (PostgreSQL)" found=${t.outbox !== null}>
      ${
        t.outbox &&
        html`<dl class="facts compact">
          <div><dt>State</dt><dd><${Badge} tone=${outboxTone}>${t.outbox.state}<//></dd></div>
          <div><dt>Created</dt><dd>${dateTime(t.outbox.createdAt)}</dd></div>
          <div><dt>Published</dt><dd>${t.outbox.publishedAt ? dateTime(t.outbox.publishedAt) : 'not yet'}</dd></div>
          <div><dt>Attempts</dt><dd>${t.outbox.attempts}</dd></div>
          ${t.outbox.lastError ? html`<div><dt>Last error</dt><dd>${t.outbox.lastError}</dd></div>` : ''}
        </dl>`
      }
    <//>
    <${Hop} n=${3} name="Kafka" found=${t.kafka !== null && t.kafka.offset !== null}>
      ${
        t.kafka &&
        html`<dl class="facts compact">
          <div><dt>Record</dt><dd><${RecordLink} topic=${t.kafka.topic} partition=${t.kafka.partition} offset=${t.kafka.offset} /></dd></div>
          <div><dt>Time</dt><dd>${t.kafka.timestamp ? dateTime(t.kafka.timestamp) : '?'}</dd></div>
        </dl>
        ${t.kafka.offset === null ? html`<p class="muted small">Its partition is known from the key; the offset is not, yet.</p>` : ''}`
      }
    <//>
    <${Hop} n=${4} name="Cassandra (created_users)" found=${t.cassandra !== null}>
      ${
        t.cassandra &&
        html`<dl class="facts compact">
          ${Object.entries(t.cassandra).map(
            ([column, value]) =>
              html`<div><dt><code>${column}</code></dt><dd>${typeof value === 'string' ? value : JSON.stringify(value)}</dd></div>`,
          )}
        </dl>`
      }
    <//>
  </ol>`;
}
