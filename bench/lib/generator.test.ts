import { describe, expect, it } from 'vitest';
import { freshUsers } from './generator.ts';
import { benchUsers, storableUsers } from './users.ts';

describe('freshUsers', () => {
  const templates = storableUsers(benchUsers(3, 'generator-test'));

  it('gives every user a new id, carried into its payload and outbox message', () => {
    const made = [...freshUsers(templates, 10)];
    expect(new Set(made.map((u) => u.id)).size).toBe(10);
    for (const [i, user] of made.entries()) {
      const template = templates[i % templates.length];
      expect(user.id).not.toBe(template?.id);
      const payload = JSON.parse(user.payload);
      const message = JSON.parse(user.message);
      expect(payload.login.uuid).toBe(user.id);
      expect(message.id).toBe(user.id);
      expect(message.user.login.uuid).toBe(user.id);
      expect(user.payload).not.toContain(template?.id);
      // Everything but the id is the template's.
      expect(payload.name).toEqual(JSON.parse(template?.payload ?? '{}').name);
    }
  });
});
