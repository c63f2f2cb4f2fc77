import { describe, expect, it } from 'vitest';
import { defaultRoute, href, parseHash } from './route.ts';

describe('parseHash', () => {
  it('reads a view and its query', () => {
    const where = parseHash('#/messages?topic=users_created&partition=2&offset=12');
    expect(where.route).toBe('/messages');
    expect(Object.fromEntries(where.query)).toEqual({ topic: 'users_created', partition: '2', offset: '12' });
    expect(where.token).toBeNull();
  });

  it('takes the token from the start link and opens the default view', () => {
    expect(parseHash('#token=abc%2Bdef')).toMatchObject({ route: defaultRoute, token: 'abc+def' });
    expect(parseHash('#token=').token).toBeNull();
  });

  it('opens the default view for an empty or unknown fragment', () => {
    expect(parseHash('').route).toBe(defaultRoute);
    expect(parseHash('#/nowhere').route).toBe(defaultRoute);
  });
});

describe('href', () => {
  it('writes a view with its query, leaving out empty values', () => {
    expect(href('/messages', { topic: 'a b', partition: 0, offset: null, user: '' })).toBe(
      '#/messages?topic=a+b&partition=0',
    );
    expect(href('/kafka')).toBe('#/kafka');
  });

  it('round-trips through parseHash', () => {
    const where = parseHash(href('/messages', { topic: 'users_created', offset: '9' }));
    expect(where.route).toBe('/messages');
    expect(where.query.get('offset')).toBe('9');
  });
});
