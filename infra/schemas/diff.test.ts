import { describe, expect, it } from 'vitest';
import { describeDifferences, schemaDifferences } from './diff.ts';

const v1 = {
  $id: 'x',
  type: 'object',
  properties: {
    batchId: { type: 'string', minLength: 1 },
    user: {
      type: 'object',
      properties: { first: { type: 'string', maxLength: 256 }, cell: { type: 'string' } },
      required: ['first', 'cell'],
      additionalProperties: false,
    },
  },
  required: ['batchId', 'user'],
  additionalProperties: false,
};

describe('schemaDifferences', () => {
  it('finds nothing between a schema and itself, or when only annotations differ', () => {
    expect(schemaDifferences(v1, structuredClone(v1))).toEqual([]);
    expect(schemaDifferences(v1, { ...v1, $id: 'y', title: 'other', description: 'why' })).toEqual([]);
  });

  it('names a changed type, a removed field and a new bound by their dotted paths', () => {
    const after = structuredClone(v1);
    after.properties.batchId = { type: 'number', minLength: 1 };
    after.properties.user.properties = {
      first: { type: 'string', maxLength: 128 },
    } as typeof after.properties.user.properties;
    after.properties.user.required = ['first'];

    expect(schemaDifferences(v1, after)).toEqual([
      { field: 'batchId', change: 'type "string" -> "number"' },
      { field: 'user.cell', change: 'removed' },
      { field: 'user.first', change: 'maxLength 256 -> 128' },
    ]);
  });

  it('tells an optional field added from a required one, and a field newly required', () => {
    const after = structuredClone(v1);
    Object.assign(after.properties, { source: { type: 'string' }, trace: { type: 'string' } });
    after.required = ['batchId', 'user', 'trace'];

    expect(schemaDifferences(v1, after)).toEqual([
      { field: 'source', change: 'added (optional)' },
      { field: 'trace', change: 'added (required)' },
    ]);
  });

  it('reports a keyword added or removed at the root', () => {
    const { additionalProperties: _, ...open } = v1;

    expect(schemaDifferences(v1, open)).toEqual([
      { field: '(root)', change: 'additionalProperties false removed' },
    ]);
  });
});

describe('describeDifferences', () => {
  it('joins the first few and counts the rest', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ field: `f${i}`, change: 'removed' }));

    expect(describeDifferences(many.slice(0, 2))).toBe('f0: removed; f1: removed');
    expect(describeDifferences(many, 3)).toBe('f0: removed; f1: removed; f2: removed; and 7 more');
    expect(describeDifferences([])).toContain('no field differs');
  });
});
