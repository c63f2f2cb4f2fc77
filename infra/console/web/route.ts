/**
 * The page's routes and the reading of its URL fragment. Routes live in the fragment (`#/kafka`, with an
 * optional query: `#/messages?topic=users_created&partition=0&offset=12`), so the server serves one page.
 * On the first load the fragment carries the start's token instead (`#token=...`, see api.ts tokenFragment):
 * a fragment never reaches a server or a Referer. Pure, so the unit tests run it in Node.
 */
import { tokenFragment } from '../api.ts';

/** Every view, in the navigation's order. */
export const routes = [
  { path: '/pipeline', title: 'Pipeline' },
  { path: '/kafka', title: 'Kafka' },
  { path: '/messages', title: 'Messages' },
  { path: '/dead-letters', title: 'Dead letters' },
  { path: '/event-sources', title: 'Event sources' },
  { path: '/schemas', title: 'Schemas' },
  { path: '/stack', title: 'Stack' },
] as const;

export type RoutePath = (typeof routes)[number]['path'];

export const defaultRoute: RoutePath = '/pipeline';

/** What a fragment says: the view, its query, and the token when the fragment is the start's link. */
export interface Location {
  route: RoutePath;
  query: URLSearchParams;
  token: string | null;
}

const isRoute = (path: string): path is RoutePath => routes.some((r) => r.path === path);

/** Reads `location.hash`: an unknown or empty route is the default one. */
export function parseHash(hash: string): Location {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  if (fragment.startsWith(`${tokenFragment}=`)) {
    const token = new URLSearchParams(fragment).get(tokenFragment);
    return { route: defaultRoute, query: new URLSearchParams(), token: token || null };
  }
  const [path = '', search = ''] = fragment.split('?', 2);
  return { route: isRoute(path) ? path : defaultRoute, query: new URLSearchParams(search), token: null };
}

/** The fragment of a view with a query: `href('/messages', { topic: 'a', offset: '3' })` → "#/messages?topic=a&offset=3". */
export function href(
  route: RoutePath,
  query: Record<string, string | number | null | undefined> = {},
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return `#${route}${search ? `?${search}` : ''}`;
}
