/**
 * The Schemas view: the Schema Registry's subjects, a subject's versions and compatibility rule (with the
 * registry's default), the schema of a version, and the difference between two versions: the fields that
 * differ, a unified line diff and the two texts side by side. Read-only: nothing here registers a schema or
 * changes a rule. The subject and versions live in the fragment's query, so a comparison can be linked to.
 */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type {
  SchemaComparison,
  SchemaDiffLine,
  SchemaRegistryView,
  SchemaSubjectView,
  SchemaVersionView,
} from '../../api.ts';
import { count, plural } from '../format.ts';
import { href } from '../route.ts';
import { comparedPair, shownVersion } from '../schema-choice.ts';
import { ErrorNote, inputValue, Loading, RefreshBar, useApi } from '../ui.ts';

/** Subjects listed at once; a registry that tests fill holds hundreds, and the filter narrows them. */
const maxListed = 50;

const subjectPath = (subject: string) => `/api/schemas/subjects/${encodeURIComponent(subject)}`;

export function SchemasView({ query }: { query: URLSearchParams }) {
  const registry = useApi<SchemaRegistryView>('/api/schemas');
  const subject = query.get('subject');
  const [filter, setFilter] = useState('');
  const data = registry.data;
  const matching = (data?.subjects ?? []).filter((s) =>
    s.toLowerCase().includes(filter.trim().toLowerCase()),
  );
  return html`
    <${RefreshBar} loaded=${registry} />
    <${ErrorNote} error=${registry.error} />
    ${!data && registry.loading ? html`<${Loading} />` : ''}
    ${
      data &&
      html`
        <section aria-labelledby="registry-title">
          <h2 id="registry-title">Registry</h2>
          <dl class="facts">
            <div><dt>Confluent-compatible API</dt><dd><code>${data.url}</code></dd></div>
            <div><dt>Default compatibility rule</dt><dd><code>${data.defaultCompatibility}</code></dd></div>
            <div><dt>Subjects</dt><dd>${count(data.subjects.length)}</dd></div>
          </dl>
        </section>
        <section aria-labelledby="subjects-title">
          <h2 id="subjects-title">Subjects</h2>
          <div class="field inline-field">
            <label for="schema-filter">Filter subjects by name</label>
            <input id="schema-filter" type="search" value=${filter} onInput=${(e: Event) => setFilter(inputValue(e))} />
          </div>
          <ul class="subjects">
            ${matching
              .slice(0, maxListed)
              .map(
                (s) =>
                  html`<li><a href=${href('/schemas', { subject: s })} aria-current=${s === subject ? 'true' : undefined}>${s}</a></li>`,
              )}
          </ul>
          ${matching.length === 0 ? html`<p class="muted">No subject matches.</p>` : ''}
          ${
            matching.length > maxListed
              ? html`<p class="muted">${count(matching.length - maxListed)} more: narrow the filter.</p>`
              : ''
          }
        </section>
      `
    }
    ${subject ? html`<${Subject} key=${subject} subject=${subject} query=${query} />` : ''}
  `;
}

/** One subject: its rule, its versions, the version shown and the comparison. */
function Subject({ subject, query }: { subject: string; query: URLSearchParams }) {
  const loaded = useApi<SchemaSubjectView>(subjectPath(subject));
  const view = loaded.data;
  const versions = view?.versions ?? [];
  const shown = shownVersion(versions, query.get('version'));
  const pair = comparedPair(versions, query.get('from'), query.get('to'));
  return html`
    <section aria-labelledby="subject-title">
      <h2 id="subject-title">Subject <code>${subject}</code></h2>
      <${ErrorNote} error=${loaded.error} />
      ${!view && loaded.loading ? html`<${Loading} />` : ''}
      ${
        view &&
        html`
          <dl class="facts">
            <div>
              <dt>Compatibility rule</dt>
              <dd>
                <code>${view.effectiveCompatibility}</code>
                <span class="muted">${ruleSource(view)}</span>
              </dd>
            </div>
            <div><dt>Versions</dt><dd>${versions.length}</dd></div>
          </dl>
          <nav aria-label=${`Versions of ${subject}`}>
            <ul class="versions">
              ${versions.map(
                (v) =>
                  html`<li><a href=${href('/schemas', { subject, version: v, from: query.get('from'), to: query.get('to') })} aria-current=${v === shown ? 'true' : undefined}>Version ${v}</a></li>`,
              )}
            </ul>
          </nav>
        `
      }
    </section>
    ${
      view &&
      (pair
        ? html`<${Compare} subject=${subject} versions=${versions} pair=${pair} shown=${shown} />`
        : html`<p class="muted">Only one version: nothing to compare yet.</p>`)
    }
    ${shown !== null ? html`<${Version} key=${`${subject}/${shown}`} subject=${subject} version=${shown} />` : ''}
  `;
}

/** Where the subject's rule comes from, as far as the registry says. */
function ruleSource(view: SchemaSubjectView): string {
  if (view.compatibility === null) return ' (the registry’s default: the subject has no rule of its own)';
  // Apicurio answers a subject without a rule with the default, so the two cannot be told apart.
  if (view.compatibility === view.defaultCompatibility) return ' (the same as the registry’s default)';
  return ` (the subject’s own; the registry’s default is ${view.defaultCompatibility})`;
}

function Version({ subject, version }: { subject: string; version: number }) {
  const loaded = useApi<SchemaVersionView>(`${subjectPath(subject)}/versions/${version}`);
  const v = loaded.data;
  return html`<section aria-labelledby="version-title">
    <h2 id="version-title">Version ${version}</h2>
    <${ErrorNote} error=${loaded.error} />
    ${!v && loaded.loading ? html`<${Loading} />` : ''}
    ${
      v &&
      html`
        <dl class="facts compact">
          <div><dt>Schema id</dt><dd>${v.id}</dd></div>
          <div><dt>Type</dt><dd>${v.schemaType}</dd></div>
          <div><dt>Lines</dt><dd>${count(v.schema.split('\n').length)}</dd></div>
        </dl>
        <pre class="value schema" tabindex="0" role="region" aria-label=${`Schema of version ${version}`}><code>${v.schema}</code></pre>
      `
    }
  </section>`;
}

/** The form that picks two versions (into the fragment), and their comparison. */
function Compare({
  subject,
  versions,
  pair,
  shown,
}: {
  subject: string;
  versions: number[];
  pair: { from: number; to: number };
  shown: number | null;
}) {
  const [from, setFrom] = useState(String(pair.from));
  const [to, setTo] = useState(String(pair.to));
  const loaded = useApi<SchemaComparison>(`${subjectPath(subject)}/compare?from=${pair.from}&to=${pair.to}`);
  const submit = (event: Event) => {
    event.preventDefault();
    location.hash = href('/schemas', { subject, version: shown, from, to });
  };
  const options = (selected: string) =>
    versions.map((v) => html`<option value=${v} selected=${String(v) === selected}>${v}</option>`);
  const c = loaded.data;
  return html`<section aria-labelledby="compare-title">
    <h2 id="compare-title">Compare two versions</h2>
    <form class="form row" onSubmit=${submit}>
      <div class="field narrow">
        <label for="compare-from">From version</label>
        <select id="compare-from" onChange=${(e: Event) => setFrom(inputValue(e))}>${options(from)}</select>
      </div>
      <div class="field narrow">
        <label for="compare-to">To version</label>
        <select id="compare-to" onChange=${(e: Event) => setTo(inputValue(e))}>${options(to)}</select>
      </div>
      <div class="field"><button type="submit" class="primary">Compare</button></div>
    </form>
    <${ErrorNote} error=${loaded.error} />
    ${!c && loaded.loading ? html`<${Loading} />` : ''}
    ${c && html`<${Comparison} comparison=${c} />`}
  </section>`;
}

function Comparison({ comparison: c }: { comparison: SchemaComparison }) {
  // The texts are rendered only while open: Chromium lays out a closed <details>' content, and a focusable
  // box there would be counted as a control the Tab key cannot reach.
  const [open, setOpen] = useState(false);
  const what = `version ${c.from.version} (id ${c.from.id}) to version ${c.to.version} (id ${c.to.id})`;
  return html`
    <p class="compare-summary"><strong>From ${what}:</strong> ${c.summary}</p>
    ${
      c.differences.length > 0 &&
      html`<table class="fields">
        <caption>${plural(c.differences.length, 'field change')} from version ${c.from.version} to version ${c.to.version}</caption>
        <thead><tr><th scope="col">Field</th><th scope="col">Change</th></tr></thead>
        <tbody>
          ${c.differences.map((d) => html`<tr><th scope="row"><code>${d.field}</code></th><td>${d.change}</td></tr>`)}
        </tbody>
      </table>`
    }
    ${c.lines.length > 0 && html`<${LineDiff} lines=${c.lines} from=${c.from.version} to=${c.to.version} />`}
    <details class="side-by-side" onToggle=${(e: Event) => setOpen(e.currentTarget instanceof HTMLDetailsElement && e.currentTarget.open)}>
      <summary>Both texts side by side</summary>
      ${
        open &&
        html`<div class="columns">
        <div>
          <h3>Version ${c.from.version}</h3>
          <pre class="value schema" tabindex="0" role="region" aria-label=${`Compared schema of version ${c.from.version}`}><code>${c.from.schema}</code></pre>
        </div>
        <div>
          <h3>Version ${c.to.version}</h3>
          <pre class="value schema" tabindex="0" role="region" aria-label=${`Compared schema of version ${c.to.version}`}><code>${c.to.schema}</code></pre>
        </div>
      </div>`
      }
    </details>
  `;
}

const marks = { same: ' ', added: '+', removed: '−' } as const;

/** The unified line diff: each text's line number, the mark (+ added, − removed) and the line. */
function LineDiff({ lines, from, to }: { lines: SchemaDiffLine[]; from: number; to: number }) {
  return html`<table class="diff">
    <caption>Line diff of the formatted schemas (+ only in version ${to}, − only in version ${from})</caption>
    <thead><tr>
      <th scope="col" class="num">v${from}</th><th scope="col" class="num">v${to}</th>
      <th scope="col"><span class="visually-hidden">Change</span></th><th scope="col">Line</th>
    </tr></thead>
    <tbody>
      ${lines.map((l) =>
        l.kind === 'skipped'
          ? html`<tr class="skipped"><td colspan="4">… ${plural(l.lines, 'unchanged line')}</td></tr>`
          : html`<tr class=${l.kind}>
              <td class="num">${l.kind === 'added' ? '' : l.from}</td>
              <td class="num">${l.kind === 'removed' ? '' : l.to}</td>
              <td class="mark"><span aria-hidden="true">${marks[l.kind]}</span>${l.kind === 'same' ? '' : html`<span class="visually-hidden">${l.kind}</span>`}</td>
              <td><code>${l.text}</code></td>
            </tr>`,
      )}
    </tbody>
  </table>`;
}
