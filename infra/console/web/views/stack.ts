/** The stack view: each service's health, version, pid, port, uptime and memory, as `npm run stack:status` shows. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { StackView } from '../../api.ts';
import { bytes, duration } from '../format.ts';
import { Badge, ErrorNote, Loading, RefreshBar, useApi } from '../ui.ts';

const refreshMs = 5000;
const healthTone = { healthy: 'ok', unhealthy: 'bad', stopped: 'neutral' } as const;

export function StackViewPage() {
  const [auto, setAuto] = useState(true);
  const stack = useApi<StackView>('/api/stack', auto ? refreshMs : undefined);
  const services = stack.data?.services ?? [];
  return html`
    <div class="toolbar">
      <${RefreshBar} loaded=${stack} />
      <label class="choice"><input type="checkbox" checked=${auto} onChange=${() => setAuto(!auto)} /> refresh every ${refreshMs / 1000} s</label>
    </div>
    <${ErrorNote} error=${stack.error} />
    ${!stack.data && stack.loading ? html`<${Loading} />` : ''}
    ${
      stack.data &&
      html`<table>
        <caption>Services of the local stack</caption>
        <thead><tr>
          <th scope="col">Service</th><th scope="col">Health</th><th scope="col">Version</th><th scope="col" class="num">PID</th>
          <th scope="col" class="num">Port</th><th scope="col" class="num">Uptime</th><th scope="col" class="num">Memory (RSS)</th><th scope="col">Run by</th>
        </tr></thead>
        <tbody>
          ${services.map(
            (s) => html`<tr>
              <th scope="row">${s.service}</th>
              <td><${Badge} tone=${healthTone[s.health]}>${s.health}<//></td>
              <td>${s.version}</td>
              <td class="num">${s.pid ?? '–'}</td>
              <td class="num">${s.port}</td>
              <td class="num">${s.uptimeMs === null ? '–' : duration(s.uptimeMs)}</td>
              <td class="num">${s.rssBytes === null ? '–' : bytes(s.rssBytes)}</td>
              <td>${s.managed ? 'the stack' : 'external'}</td>
            </tr>`,
          )}
        </tbody>
      </table>`
    }
  `;
}
