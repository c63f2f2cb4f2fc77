import { describe, expect, it } from 'vitest';
import type { SchemaVersionView } from './api.ts';
import { compareVersions, formatSchema, lineDiff } from './schema-compare.ts';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`).join('\n');

function version(n: number, schema: unknown, schemaType = 'JSON'): SchemaVersionView {
  return {
    subject: 's-value',
    version: n,
    id: 10 + n,
    schemaType,
    schema: typeof schema === 'string' ? schema : formatSchema(JSON.stringify(schema)),
  };
}

describe('formatSchema', () => {
  it('indents JSON by two spaces, keeping its key order', () => {
    expect(formatSchema('{"type":"object","properties":{"b":{},"a":{}}}')).toBe(
      '{\n  "type": "object",\n  "properties": {\n    "b": {},\n    "a": {}\n  }\n}',
    );
  });

  it('leaves a text that is not JSON (a Protobuf schema) as registered', () => {
    const proto = 'syntax = "proto3";\nmessage User { string id = 1; }';

    expect(formatSchema(proto)).toBe(proto);
  });
});

describe('lineDiff', () => {
  it('keeps three lines of context around each change and counts the unchanged lines it leaves out', () => {
    const before = lines(20);
    const after = before.replace('line 10', 'line ten');

    expect(lineDiff(before, after)).toEqual([
      { kind: 'skipped', lines: 6 },
      { kind: 'same', text: 'line 7', from: 7, to: 7 },
      { kind: 'same', text: 'line 8', from: 8, to: 8 },
      { kind: 'same', text: 'line 9', from: 9, to: 9 },
      { kind: 'removed', text: 'line 10', from: 10 },
      { kind: 'added', text: 'line ten', to: 10 },
      { kind: 'same', text: 'line 11', from: 11, to: 11 },
      { kind: 'same', text: 'line 12', from: 12, to: 12 },
      { kind: 'same', text: 'line 13', from: 13, to: 13 },
      { kind: 'skipped', lines: 7 },
    ]);
  });

  it('numbers the lines of each text apart once a line is added, and shows a line added at the end alone', () => {
    const before = lines(8);
    const after = `${before.replace('line 2', 'line 2\nline 2b')}\nline 9`;

    expect(lineDiff(before, after)).toEqual([
      { kind: 'same', text: 'line 1', from: 1, to: 1 },
      { kind: 'same', text: 'line 2', from: 2, to: 2 },
      { kind: 'added', text: 'line 2b', to: 3 },
      { kind: 'same', text: 'line 3', from: 3, to: 4 },
      { kind: 'same', text: 'line 4', from: 4, to: 5 },
      { kind: 'same', text: 'line 5', from: 5, to: 6 },
      { kind: 'same', text: 'line 6', from: 6, to: 7 },
      { kind: 'same', text: 'line 7', from: 7, to: 8 },
      { kind: 'same', text: 'line 8', from: 8, to: 9 },
      { kind: 'added', text: 'line 9', to: 10 },
    ]);
  });

  it('is empty for equal texts, and all added or all removed against an empty text', () => {
    expect(lineDiff('a\nb', 'a\nb')).toEqual([]);
    expect(lineDiff('', 'a\nb')).toEqual([
      { kind: 'added', text: 'a', to: 1 },
      { kind: 'added', text: 'b', to: 2 },
    ]);
    expect(lineDiff('a', '')).toEqual([{ kind: 'removed', text: 'a', from: 1 }]);
  });
});

describe('compareVersions', () => {
  const v1 = {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string' }, name: { type: 'string', maxLength: 50 } },
  };
  const v2 = {
    type: 'object',
    required: ['id'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string', maxLength: 100 },
      nickname: { type: 'string' },
    },
  };

  it('names the fields that differ and gives the formatted texts’ line diff', () => {
    const comparison = compareVersions(version(1, v1), version(2, v2));

    expect(comparison.differences).toEqual([
      { field: 'name', change: 'maxLength 50 -> 100' },
      { field: 'nickname', change: 'added (optional)' },
    ]);
    expect(comparison.summary).toBe('name: maxLength 50 -> 100; nickname: added (optional)');
    expect(comparison.lines.filter((l) => l.kind === 'removed')).toEqual([
      { kind: 'removed', text: '      "maxLength": 50', from: 12 },
    ]);
    expect(comparison.lines.filter((l) => l.kind === 'added').map((l) => l.text)).toEqual([
      '      "maxLength": 100',
      '    },',
      '    "nickname": {',
      '      "type": "string"',
    ]);
    expect(comparison).toMatchObject({ subject: 's-value', from: { version: 1 }, to: { version: 2 } });
  });

  it('says two versions are the same when nothing differs', () => {
    const comparison = compareVersions(version(1, v1), version(1, v1));

    expect(comparison).toMatchObject({
      differences: [],
      lines: [],
      summary: 'the two versions are the same',
    });
  });

  it('says when only annotations or key order differ', () => {
    const comparison = compareVersions(version(1, v1), version(2, { ...v1, description: 'a user' }));

    expect(comparison.differences).toEqual([]);
    expect(comparison.summary).toBe('no field differs (only annotations or key order)');
    expect(comparison.lines.some((l) => l.kind === 'added')).toBe(true);
  });

  it('compares schemas that are not JSON by their lines only', () => {
    const comparison = compareVersions(
      version(1, 'message User {\n  string id = 1;\n}', 'PROTOBUF'),
      version(2, 'message User {\n  string id = 1;\n  string name = 2;\n}', 'PROTOBUF'),
    );

    expect(comparison.differences).toEqual([]);
    expect(comparison.summary).toBe('not JSON (PROTOBUF): only the lines are compared');
    expect(comparison.lines.filter((l) => l.kind === 'added')).toEqual([
      { kind: 'added', text: '  string name = 2;', to: 3 },
    ]);
  });
});
