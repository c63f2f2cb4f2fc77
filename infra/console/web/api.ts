/**
 * The page's one client of the console's HTTP API (../api.ts): JSON GETs, POSTs that carry the start's
 * token, and the live snapshots over server-sent events. Errors become {@link ApiRequestError} with the
 * server's code and message, so a view shows what the server said.
 */
import type { ApiError, LiveSnapshot } from '../api.ts';
import { tokenHeader } from '../api.ts';
import { defaultRoute, parseHash } from './route.ts';

/** An answer other than 2xx, or no answer at all (status 0). */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

// sessionStorage: the token outlives a reload of the tab but not the tab, and is never sent as a cookie.
const storageKey = 'pipeline-console-token';
let token: string | null = null;

/**
 * Takes the token from the start's link (`#token=...`) once, keeps it for the tab, and replaces the fragment
 * with the default view so the token leaves the address bar and the history.
 */
export function adoptToken(): void {
  const { token: fromLink } = parseHash(location.hash);
  if (fromLink) {
    token = fromLink;
    sessionStorage.setItem(storageKey, fromLink);
    history.replaceState(null, '', `#${defaultRoute}`);
    return;
  }
  token = sessionStorage.getItem(storageKey);
}

/** Whether the page can change anything (it holds a token). */
export const hasToken = (): boolean => token !== null;

async function request<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method === 'POST') {
    if (token === null) {
      throw new ApiRequestError(
        'This page has no token, so it cannot change anything: open the link the console printed when it started (it ends in #token=…).',
        401,
        'no-token',
      );
    }
    headers[tokenHeader] = token;
    headers['content-type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new ApiRequestError(
      `The console did not answer (${String(cause)}): is it still running?`,
      0,
      'unreachable',
    );
  }
  // The server is this repository's, typed by the same contract (../api.ts), so its JSON is taken as typed.
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) throw errorOf(response, payload);
  return payload as T;
}

function isApiError(payload: unknown): payload is ApiError {
  if (typeof payload !== 'object' || payload === null || !('error' in payload)) return false;
  const { error } = payload;
  return (
    typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string'
  );
}

function errorOf(response: Response, payload: unknown): ApiRequestError {
  const error = isApiError(payload) ? payload.error : undefined;
  if (response.status === 401 && token !== null) {
    return new ApiRequestError(
      `${error?.message ?? 'The token was refused'}. The console makes a new token each time it starts: open the link it printed last.`,
      401,
      error?.code ?? 'unauthorized',
    );
  }
  return new ApiRequestError(
    error?.message ?? `${response.status} ${response.statusText}`,
    response.status,
    error?.code ?? `http-${response.status}`,
  );
}

/** GET a route of the contract. */
export const getJson = <T>(path: string, signal?: AbortSignal): Promise<T> =>
  request<T>('GET', path, undefined, signal);

/** POST to a route of the contract, with the token. */
export const postJson = <T>(path: string, body: unknown): Promise<T> => request<T>('POST', path, body);

export type LiveState = 'connecting' | 'open' | 'reconnecting';

/**
 * Follows /api/live. EventSource reconnects by itself after a dropped connection; when the server refused
 * the stream outright (it closed), this opens a new one a few seconds later. Returns the function that stops.
 */
export function subscribeLive(
  onSnapshot: (s: LiveSnapshot) => void,
  onState: (s: LiveState) => void,
): () => void {
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    onState('connecting');
    source = new EventSource('/api/live');
    source.addEventListener('snapshot', (event: MessageEvent<string>) => onSnapshot(JSON.parse(event.data)));
    source.onopen = () => onState('open');
    source.onerror = () => {
      onState('reconnecting');
      if (source?.readyState === EventSource.CLOSED) retry = setTimeout(open, 3000);
    };
  };
  open();
  return () => {
    clearTimeout(retry);
    source?.close();
  };
}
