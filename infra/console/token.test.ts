import { describe, expect, it } from 'vitest';
import { newToken, tokenMatches } from './token.ts';

describe('the start token', () => {
  it('is new each time, and long', () => {
    const a = newToken();

    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newToken()).not.toBe(a);
  });

  it('matches itself only', () => {
    const token = newToken();

    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token, `${token}x`)).toBe(false);
    expect(tokenMatches(token, token.slice(1))).toBe(false);
    expect(tokenMatches(token, '')).toBe(false);
    expect(tokenMatches(token, undefined)).toBe(false);
    expect(tokenMatches(token, [token, token])).toBe(false);
  });
});
