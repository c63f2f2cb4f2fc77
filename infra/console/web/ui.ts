/**
 * What every view shares: loading a route (`useApi`), running an action (`useAction`), asking before one
 * (`useConfirm`, a native <dialog>), and the small pieces that show errors, loading, badges and Kafka values.
 */
import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { DecodedValue } from '../api.ts';
import { ApiRequestError, getJson } from './api.ts';
import { bytes, hexDump, time, valuePreview } from './format.ts';
import { href } from './route.ts';

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  updatedAt: Date | null;
  reload: () => void;
}

/**
 * GETs `path` (nothing while it is null), again on `reload`, and every `everyMs` after the last answer when
 * set. The last data stays while a new request runs or fails, so a table does not blink.
 */
export function useApi<T>(path: string | null, everyMs?: number): Loaded<T> {
  const [state, setState] = useState<Omit<Loaded<T>, 'reload'>>({
    data: null,
    error: null,
    loading: path !== null,
    updatedAt: null,
  });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    getJson<T>(path, abort.signal).then(
      (data) => setState({ data, error: null, loading: false, updatedAt: new Date() }),
      (error: unknown) => {
        if (!abort.signal.aborted) setState((s) => ({ ...s, error: asError(error), loading: false }));
      },
    );
    return () => abort.abort();
  }, [path, tick]);
  useEffect(() => {
    if (!everyMs || state.loading) return;
    const timer = setTimeout(reload, everyMs);
    return () => clearTimeout(timer);
  }, [everyMs, state.loading, reload]);
  return { ...state, reload };
}

export interface Action<T> {
  pending: boolean;
  error: Error | null;
  result: T | null;
  run: (act: () => Promise<T>) => Promise<T | null>;
}

/** The state of one kind of action (a reset, a re-drive): pending, its result or its error. */
export function useAction<T>(): Action<T> {
  const [state, setState] = useState<Omit<Action<T>, 'run'>>({ pending: false, error: null, result: null });
  const run = useCallback(async (act: () => Promise<T>) => {
    setState({ pending: true, error: null, result: null });
    try {
      const result = await act();
      setState({ pending: false, error: null, result });
      return result;
    } catch (error) {
      setState({ pending: false, error: asError(error), result: null });
      return null;
    }
  }, []);
  return { ...state, run };
}

export interface Question {
  title: string;
  body: string | VNode;
  /** The confirming button's words, a verb: "Re-drive 3". */
  action: string;
}

/**
 * A confirmation in a native modal <dialog>: `confirm(question)` opens it and resolves true only when the
 * confirming button is pressed (Cancel and Escape resolve false). Render `dialog` once in the view.
 */
export function useConfirm(): { dialog: VNode; confirm: (q: Question) => Promise<boolean> } {
  const ref = useRef<HTMLDialogElement>(null);
  const [question, setQuestion] = useState<Question | null>(null);
  const resolver = useRef<((ok: boolean) => void) | null>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (question && dialog && !dialog.open) {
      dialog.returnValue = '';
      dialog.showModal();
    }
  }, [question]);
  const confirm = useCallback((q: Question) => {
    resolver.current?.(false);
    setQuestion(q);
    return new Promise<boolean>((resolve) => {
      resolver.current = resolve;
    });
  }, []);
  const onClose = () => {
    resolver.current?.(ref.current?.returnValue === 'confirm');
    resolver.current = null;
    setQuestion(null);
  };
  const dialog = html`
    <dialog ref=${ref} class="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-body" onClose=${onClose}>
      <form method="dialog">
        <h2 id="confirm-title">${question?.title}</h2>
        <div id="confirm-body">${typeof question?.body === 'string' ? html`<p>${question.body}</p>` : question?.body}</div>
        <div class="actions">
          <button type="submit" value="cancel">Cancel</button>
          <button type="submit" value="confirm" class="primary">${question?.action}</button>
        </div>
      </form>
    </dialog>
  `;
  return { dialog, confirm };
}

/** An error, as the server worded it, with a hint when the token is the problem. */
export function ErrorNote({ error, children }: { error: Error | null; children?: unknown }) {
  if (!error) return null;
  const code = error instanceof ApiRequestError ? error.code : null;
  return html`<div class="error" role="alert">
    <p><strong>Error${code ? html` <code>${code}</code>` : ''}:</strong> ${error.message}</p>
    ${children}
  </div>`;
}

/** "Loading…" while a first answer is awaited. */
export function Loading({ what = 'Loading' }: { what?: string }) {
  return html`<p class="muted" role="status">${what}…</p>`;
}

/** A view's refresh control and when its data was read. */
export function RefreshBar({ loaded, label = 'Refresh' }: { loaded: Loaded<unknown>; label?: string }) {
  return html`<div class="toolbar">
    <button type="button" onClick=${loaded.reload} disabled=${loaded.loading}>${label}</button>
    <span class="muted">${loaded.loading ? 'Loading…' : loaded.updatedAt ? `Read at ${time(loaded.updatedAt.toISOString())}` : ''}</span>
  </div>`;
}

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral';

/** A short word in a tinted box: a state, an outcome, a health. */
export function Badge({ tone, children }: { tone: Tone; children: unknown }) {
  return html`<span class=${`badge ${tone}`}>${children}</span>`;
}

/** A Kafka value as it was decoded: JSON formatted, text as it is, bytes as a preview and a hex dump. */
export function ValueView({ value }: { value: DecodedValue }) {
  switch (value.kind) {
    case 'json':
      return html`<pre class="value"><code>${JSON.stringify(value.json, null, 2)}</code></pre>`;
    case 'text':
      return html`<pre class="value">${value.text}</pre>`;
    case 'null':
      return html`<p class="muted">No value (null).</p>`;
    case 'bytes': {
      const size = atob(value.base64).length;
      return html`<p class="muted">Not JSON nor UTF-8 text: ${bytes(size)}. Printable preview, then hex:</p>
        <pre class="value">${value.preview}</pre>
        <pre class="value hex">${hexDump(value.base64)}</pre>`;
    }
  }
}

/** A value folded to one line until opened. */
export function FoldedValue({ value, label = 'Value' }: { value: DecodedValue; label?: string }) {
  return html`<details class="folded">
    <summary><span class="label">${label} (${value.kind})</span> <code>${valuePreview(value)}</code></summary>
    <${ValueView} value=${value} />
  </details>`;
}

/** A link to a record in the messages view. */
export function RecordLink({
  topic,
  partition,
  offset,
}: {
  topic: string;
  partition: number;
  offset: string | null;
}) {
  const text = `${topic} / ${partition}${offset === null ? '' : ` @ ${offset}`}`;
  return html`<a href=${href('/messages', { topic, partition, offset })}>${text}</a>`;
}

/** The value of the input, select or textarea an event came from. */
export function inputValue(event: Event): string {
  const target = event.currentTarget;
  return target instanceof HTMLInputElement ||
    target instanceof HTMLSelectElement ||
    target instanceof HTMLTextAreaElement
    ? target.value
    : '';
}
