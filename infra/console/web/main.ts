/**
 * The console's page: a header with the views' navigation, and the view the URL fragment names. The token
 * from the start's link is taken first (api.ts adoptToken); without one the page still reads everything but
 * changes nothing, and says so.
 */
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { adoptToken, hasToken } from './api.ts';
import { parseHash, type RoutePath, routes } from './route.ts';
import { DeadLettersView } from './views/dead-letters.ts';
import { EventSourcesView } from './views/event-sources.ts';
import { KafkaViewPage } from './views/kafka.ts';
import { MessagesView } from './views/messages.ts';
import { PipelineView } from './views/pipeline.ts';
import { SchemasView } from './views/schemas.ts';
import { StackViewPage } from './views/stack.ts';

const views: Record<RoutePath, (props: { query: URLSearchParams }) => unknown> = {
  '/pipeline': PipelineView,
  '/kafka': KafkaViewPage,
  '/messages': MessagesView,
  '/dead-letters': DeadLettersView,
  '/event-sources': EventSourcesView,
  '/schemas': SchemasView,
  '/stack': StackViewPage,
};

function App() {
  const [where, setWhere] = useState(() => parseHash(location.hash));
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    const follow = () => setWhere(parseHash(location.hash));
    addEventListener('hashchange', follow);
    // Effects run after the first paint: a fragment changed before then fired no event this listener heard.
    follow();
    return () => removeEventListener('hashchange', follow);
  }, []);
  const title = routes.find((r) => r.path === where.route)?.title ?? '';
  useEffect(() => {
    document.title = `${title} · Pipeline console`;
    // After a navigation (not the first load), focus goes to the new view's heading, as a page load would.
    if (first.current) first.current = false;
    else heading.current?.focus();
  }, [where.route, title]);
  const View = views[where.route];
  const skip = (event: Event) => {
    event.preventDefault();
    heading.current?.focus();
  };
  return html`
    <a class="skip" href="#main" onClick=${skip}>Skip to the view</a>
    <header class="top">
      <p class="brand">Pipeline console</p>
      <nav aria-label="Views">
        <ul>
          ${routes.map(
            (r) =>
              html`<li><a href=${`#${r.path}`} aria-current=${r.path === where.route ? 'page' : undefined}>${r.title}</a></li>`,
          )}
        </ul>
      </nav>
    </header>
    ${
      hasToken()
        ? ''
        : html`<p class="notice" role="note">
            Read-only: this page has no token, so it cannot reset offsets, re-drive or pause. Open the link the
            console printed when it started (it ends in <code>#token=…</code>).
          </p>`
    }
    <main id="main">
      <h1 class="view-title" tabindex="-1" ref=${heading}>${title}</h1>
      <${View} key=${where.route} query=${where.query} />
    </main>
  `;
}

adoptToken();
const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
