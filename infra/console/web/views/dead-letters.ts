/**
 * The dead-letters view: the dead-letter topic's records and the bus's dead-lettered deliveries, each with
 * why it failed, and re-drive of a selection or of all of them. A topic record's value can be corrected in
 * the page first; the re-drive sends the corrected text instead of the original bytes. A record that fails
 * again comes back here, so nothing is lost.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type {
  BusDeadLetter,
  BusRedriveRequest,
  DeadLetterPage,
  DeadLetterView,
  RedriveRequest,
  RedriveResult,
} from '../../api.ts';
import { postJson } from '../api.ts';
import { count, dateTime, plural, previousOffset, valueText } from '../format.ts';
import {
  type Action,
  Badge,
  ErrorNote,
  FoldedValue,
  inputValue,
  Loading,
  type Question,
  RecordLink,
  RefreshBar,
  useAction,
  useApi,
  useConfirm,
  ValueView,
} from '../ui.ts';
import { SchemaNote } from './messages.ts';

const pageSize = 50;
type Confirm = (q: Question) => Promise<boolean>;

export function DeadLettersView() {
  const { dialog, confirm } = useConfirm();
  return html`<${TopicDeadLetters} confirm=${confirm} /><${BusDeadLetters} confirm=${confirm} />${dialog}`;
}

/** A set of keys with one toggled. */
const toggled = (set: ReadonlySet<string>, key: string, on = !set.has(key)): Set<string> => {
  const next = new Set(set);
  if (on) next.add(key);
  else next.delete(key);
  return next;
};

function RedriveOutcome({ action }: { action: Action<RedriveResult> }) {
  const result = action.result;
  return html`<div aria-live="polite">
    <${ErrorNote} error=${action.error} />
    ${
      result &&
      html`<div class="result">
        <p><strong>Re-drove ${plural(result.redriven, 'record')}.</strong> Each is marked as re-driven; one that fails again returns here.</p>
        ${
          result.targets.length > 0 &&
          html`<ul class="plain">
            ${result.targets.map(
              (t) => html`<li>
                ${t.from} →${' '}
                ${t.topic !== undefined && t.partition !== undefined ? html`<${RecordLink} topic=${t.topic} partition=${t.partition} offset=${t.offset ?? null} />` : 'queued for delivery'}
              </li>`,
            )}
          </ul>`
        }
      </div>`
    }
  </div>`;
}

function TopicDeadLetters({ confirm }: { confirm: Confirm }) {
  const [offset, setOffset] = useState<string | null>(null);
  const page = useApi<DeadLetterPage>(
    `/api/dead-letters?limit=${pageSize}${offset === null ? '' : `&offset=${offset}`}`,
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [corrections, setCorrections] = useState<Record<string, string>>({});
  const redrive = useAction<RedriveResult>();
  const data = page.data;
  const rows = data?.deadLetters ?? [];
  const total = data ? Number(BigInt(data.high) - BigInt(data.low)) : 0;
  const previous = data ? previousOffset(data.from, data.low, pageSize) : null;

  const correct = (letter: DeadLetterView, text: string) => {
    setCorrections((c) => {
      const { [letter.offset]: _, ...rest } = c;
      return text === valueText(letter.value) ? rest : { ...rest, [letter.offset]: text };
    });
    setSelected((s) => toggled(s, letter.offset, true));
  };

  const run = async (which: 'selected' | 'all') => {
    const offsets = which === 'all' ? ('all' as const) : [...selected];
    const n = which === 'all' ? total : selected.size;
    const fixed = Object.keys(corrections).filter((o) => which === 'all' || selected.has(o));
    const ok = await confirm({
      title: which === 'all' ? 'Re-drive every dead letter?' : 'Re-drive the selected dead letters?',
      body: `${plural(n, 'record')} ${n === 1 ? 'goes' : 'go'} back to ${data?.deadLetters[0]?.sourceTopic ?? 'their source topic'}${fixed.length > 0 ? `, ${fixed.length} with the value corrected here` : ''}, each with a header saying it was re-driven. The sink consumes them again; one that still fails comes back to the dead letters.`,
      action: which === 'all' ? `Re-drive all ${count(n)}` : `Re-drive ${count(n)}`,
    });
    if (!ok) return;
    const body: RedriveRequest = {
      offsets,
      ...(fixed.length > 0
        ? { corrections: Object.fromEntries(fixed.map((o) => [o, corrections[o] ?? ''])) }
        : {}),
    };
    const done = await redrive.run(() => postJson<RedriveResult>('/api/dead-letters/redrive', body));
    if (done) {
      setSelected(new Set());
      setCorrections((c) => Object.fromEntries(Object.entries(c).filter(([o]) => !fixed.includes(o))));
      page.reload();
    }
  };

  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(r.offset));
  return html`<section aria-labelledby="dlt-title">
    <h2 id="dlt-title">Dead-letter topic${data ? html` <span class="muted">${data.topic}</span>` : ''}</h2>
    <${RefreshBar} loaded=${page} />
    <${ErrorNote} error=${page.error} />
    ${data?.registryError ? html`<p class="muted small" role="note">Schema versions unknown: ${data.registryError}</p>` : ''}
    ${!data && page.loading ? html`<${Loading} />` : ''}
    ${
      data &&
      html`
        <div class="toolbar">
          <button type="button" class="primary" disabled=${selected.size === 0 || redrive.pending} onClick=${() => run('selected')}>Re-drive selected (${selected.size})</button>
          <button type="button" disabled=${total === 0 || redrive.pending} onClick=${() => run('all')}>Re-drive all (${count(total)})</button>
          ${redrive.pending ? html`<span role="status">Re-driving…</span>` : ''}
        </div>
        <${RedriveOutcome} action=${redrive} />
        <table class="selectable">
          <caption>${plural(total, 'record')} on the topic; offsets ${data.from} onwards of ${data.low} – ${data.high}</caption>
          <thead><tr>
            <th scope="col"><input type="checkbox" aria-label="Select every dead letter on this page" checked=${allOnPage} disabled=${rows.length === 0}
              onChange=${() => setSelected(allOnPage ? new Set() : new Set(rows.map((r) => r.offset)))} /></th>
            <th scope="col" class="num">Offset</th><th scope="col">Error</th><th scope="col">Message</th><th scope="col">Source</th>
            <th scope="col" class="num">Attempts</th><th scope="col">Failed at</th><th scope="col"><span class="visually-hidden">Value</span></th>
          </tr></thead>
          ${rows.map(
            (
              r,
            ) => html`<${LetterRows} letter=${r} selected=${selected.has(r.offset)} open=${open.has(r.offset)} correction=${corrections[r.offset]}
              onSelect=${() => setSelected((s) => toggled(s, r.offset))} onOpen=${() => setOpen((s) => toggled(s, r.offset))}
              onCorrect=${(text: string) => correct(r, text)} />`,
          )}
          ${rows.length === 0 ? html`<tbody><tr><td colspan="8" class="muted">No dead letters on this page.</td></tr></tbody>` : ''}
        </table>
        <nav class="pager" aria-label="Pages of dead letters">
          <button type="button" disabled=${previous === null} onClick=${() => setOffset(previous)}>← Previous</button>
          <button type="button" disabled=${data.next === null} onClick=${() => setOffset(data.next)}>Next →</button>
        </nav>`
    }
  </section>`;
}

interface LetterRowsProps {
  letter: DeadLetterView;
  selected: boolean;
  open: boolean;
  correction: string | undefined;
  onSelect: () => void;
  onOpen: () => void;
  onCorrect: (text: string) => void;
}

function LetterRows({ letter: r, selected, open, correction, onSelect, onOpen, onCorrect }: LetterRowsProps) {
  const detail = `dl-detail-${r.offset}`;
  return html`<tbody>
    <tr class=${selected ? 'selected' : ''}>
      <td><input type="checkbox" aria-label=${`Select the dead letter at offset ${r.offset}`} checked=${selected} onChange=${onSelect} /></td>
      <th scope="row" class="num">${r.offset}</th>
      <td><code>${r.errorType ?? '?'}</code></td>
      <td class="text">${r.errorMessage ?? ''}</td>
      <td>${r.sourceTopic !== null && r.sourcePartition !== null ? html`<${RecordLink} topic=${r.sourceTopic} partition=${r.sourcePartition} offset=${r.sourceOffset} />` : '?'}</td>
      <td class="num">${r.attempts ?? '?'}</td>
      <td>${dateTime(r.failedAt ?? r.timestamp)}</td>
      <td class="nowrap">
        ${r.redriven ? html`<${Badge} tone="neutral">re-driven before<//> ` : ''}
        ${correction !== undefined ? html`<${Badge} tone="warn">corrected<//> ` : ''}
        <button type="button" aria-expanded=${open} aria-controls=${detail} onClick=${onOpen}>${open ? 'Hide value' : 'Value…'}</button>
      </td>
    </tr>
    ${
      open &&
      html`<tr id=${detail} class="detail"><td colspan="8">
        <div class="columns">
          <div>
            <h3>Original value <span class="muted">(${r.value.kind})</span></h3>
            ${r.schema === null ? '' : html`<${SchemaNote} schema=${r.schema} />`}
            <${ValueView} value=${r.value} />
            <p class="small">Key: ${r.key === null ? 'none' : html`<code>${r.key}</code>`}</p>
          </div>
          <div class="field">
            <label for=${`${detail}-edit`}>Value to re-drive (edit to correct it; unchanged, the original bytes are sent${r.schema === null ? '' : `; a correction goes behind the same wire-format header, schema id ${r.schema.id}`})</label>
            <textarea id=${`${detail}-edit`} rows="14" spellcheck=${false} value=${correction ?? valueText(r.value)}
              onInput=${(e: Event) => onCorrect(inputValue(e))}></textarea>
            ${correction !== undefined ? html`<button type="button" onClick=${() => onCorrect(valueText(r.value))}>Undo the correction</button>` : ''}
          </div>
        </div>
      </td></tr>`
    }
  </tbody>`;
}

function BusDeadLetters({ confirm }: { confirm: Confirm }) {
  const letters = useApi<BusDeadLetter[]>('/api/bus/dead-letters');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<Set<string>>(new Set());
  const redrive = useAction<RedriveResult>();
  const rows = letters.data ?? [];

  const run = async (which: 'selected' | 'all') => {
    const n = which === 'all' ? rows.length : selected.size;
    const ok = await confirm({
      title:
        which === 'all' ? "Re-drive all the bus's dead letters?" : 'Re-drive the selected bus dead letters?',
      body: `${plural(n, 'delivery', 'deliveries')} ${n === 1 ? 'is' : 'are'} queued again for their rule's target, with a fresh retry policy. One that fails again is dead-lettered again.`,
      action: which === 'all' ? `Re-drive all ${count(n)}` : `Re-drive ${count(n)}`,
    });
    if (!ok) return;
    const body: BusRedriveRequest = { ids: which === 'all' ? 'all' : [...selected] };
    const done = await redrive.run(() => postJson<RedriveResult>('/api/bus/dead-letters/redrive', body));
    if (done) {
      setSelected(new Set());
      letters.reload();
    }
  };

  const allSelected = rows.length > 0 && rows.every((r) => selected.has(r.id));
  return html`<section aria-labelledby="bus-title">
    <h2 id="bus-title">Bus dead letters <span class="muted">(local EventBridge)</span></h2>
    <${RefreshBar} loaded=${letters} />
    <${ErrorNote} error=${letters.error} />
    ${!letters.data && letters.loading ? html`<${Loading} />` : ''}
    ${
      letters.data &&
      html`
        <div class="toolbar">
          <button type="button" class="primary" disabled=${selected.size === 0 || redrive.pending} onClick=${() => run('selected')}>Re-drive selected (${selected.size})</button>
          <button type="button" disabled=${rows.length === 0 || redrive.pending} onClick=${() => run('all')}>Re-drive all (${rows.length})</button>
          ${redrive.pending ? html`<span role="status">Re-driving…</span>` : ''}
        </div>
        <${RedriveOutcome} action=${redrive} />
        <table class="selectable">
          <caption>${plural(rows.length, 'delivery', 'deliveries')} the bus gave up on</caption>
          <thead><tr>
            <th scope="col"><input type="checkbox" aria-label="Select every bus dead letter" checked=${allSelected} disabled=${rows.length === 0}
              onChange=${() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.id)))} /></th>
            <th scope="col">Event</th><th scope="col">Target</th><th scope="col">Error</th><th scope="col">Message</th>
            <th scope="col" class="num">Attempts</th><th scope="col">Dead-lettered</th><th scope="col"><span class="visually-hidden">Event</span></th>
          </tr></thead>
          ${rows.map((r) => {
            const detail = `bus-detail-${r.id}`;
            const isOpen = open.has(r.id);
            return html`<tbody>
              <tr class=${selected.has(r.id) ? 'selected' : ''}>
                <td><input type="checkbox" aria-label=${`Select the bus dead letter ${r.id}`} checked=${selected.has(r.id)} onChange=${() => setSelected((s) => toggled(s, r.id))} /></td>
                <th scope="row">${r.detailType}</th>
                <td><code>${r.targetArn.split(':').at(-1)}</code></td>
                <td><code>${r.errorCode}</code></td>
                <td class="text">${r.errorMessage}</td>
                <td class="num">${count(r.attempts)}</td>
                <td>${dateTime(r.deadLetteredAt)}</td>
                <td><button type="button" aria-expanded=${isOpen} aria-controls=${detail} onClick=${() => setOpen((s) => toggled(s, r.id))}>${isOpen ? 'Hide event' : 'Event…'}</button></td>
              </tr>
              ${
                isOpen &&
                html`<tr id=${detail} class="detail"><td colspan="8">
                  <dl class="facts compact">
                    <div><dt>Id</dt><dd><code>${r.id}</code></dd></div>
                    <div><dt>Rule</dt><dd><code>${r.ruleArn}</code></dd></div>
                    <div><dt>Target</dt><dd><code>${r.targetArn}</code></dd></div>
                  </dl>
                  <${FoldedValue} label="Event" value=${{ kind: 'json', json: r.event }} />
                </td></tr>`
              }
            </tbody>`;
          })}
          ${rows.length === 0 ? html`<tbody><tr><td colspan="8" class="muted">The bus has no dead letters.</td></tr></tbody>` : ''}
        </table>`
    }
  </section>`;
}
