/**
 * The rooms of infra/ (its top-level folders: local, dev, migrations, spark, eventbus, ...) depend on one
 * another in one direction only: no two rooms import each other, directly or around a longer cycle, so each
 * can be read, tested and changed from the rooms below it up. This test reads the import statements of every
 * source file under infra/ (tests included) as text, builds the graph between rooms, and fails with the
 * offending import lines when the graph has a cycle. The stack manager (infra/local) sits at the bottom and
 * imports no other room.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/paths.ts';

/** One import statement: where it is, what it says, and the room it reaches. */
interface ImportSite {
  file: string;
  line: number;
  text: string;
  from: string;
  to: string;
}

/** A source file, its path relative to the repository root with `/` separators. */
interface Source {
  path: string;
  text: string;
}

const sourceExtensions = /\.(ts|cts|mts|js|cjs|mjs)$/;

// `import … from '…'` and `export … from '…'` at the start of a line, over several lines if need be; a bare
// `import '…'`; and `import('…')` or `require('…')` anywhere.
const importPatterns = [
  /^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1/gm,
  /^[ \t]*import\s*(['"])([^'"]+)\1/gm,
  /\b(?:import|require)\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
];

/** The room of a path under infra/ (`infra/local/x.ts` is in `infra/local`), or undefined outside infra/. */
function roomOf(path: string): string | undefined {
  const [top, room, ...rest] = path.split('/');
  return top === 'infra' && room !== undefined && rest.length > 0 ? `infra/${room}` : undefined;
}

/** Every import in `sources` from one room of infra/ into another, with its line. */
function crossRoomImports(sources: readonly Source[]): ImportSite[] {
  const sites: ImportSite[] = [];
  for (const source of sources) {
    const from = roomOf(source.path);
    if (from === undefined) continue;
    for (const pattern of importPatterns) {
      for (const match of source.text.matchAll(pattern)) {
        const specifier = match[2] ?? '';
        if (!specifier.startsWith('.')) continue;
        const target = join(dirname(source.path), specifier).split(sep).join('/');
        const to = roomOf(target);
        if (to === undefined || to === from) continue;
        const line = source.text.slice(0, match.index).split('\n').length;
        sites.push({ file: source.path, line, text: match[0].trim().replace(/\s+/g, ' '), from, to });
      }
    }
  }
  return sites;
}

/**
 * The import lines that close a cycle between rooms: every import between two rooms of the same strongly
 * connected component (Tarjan's algorithm), as `room -> room: file:line: statement`.
 */
function cycleLines(sites: readonly ImportSite[]): string[] {
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of sites) {
    edges.set(from, (edges.get(from) ?? new Set()).add(to));
    if (!edges.has(to)) edges.set(to, new Set());
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const component = new Map<string, number>();
  let next = 0;
  let components = 0;
  const visit = (room: string): void => {
    index.set(room, next);
    low.set(room, next);
    next++;
    stack.push(room);
    for (const to of edges.get(room) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(room, Math.min(low.get(room) ?? 0, low.get(to) ?? 0));
      } else if (!component.has(to)) {
        low.set(room, Math.min(low.get(room) ?? 0, index.get(to) ?? 0));
      }
    }
    if (low.get(room) !== index.get(room)) return;
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      component.set(member, components);
      if (member === room) break;
    }
    components++;
  };
  for (const room of [...edges.keys()].sort()) if (!index.has(room)) visit(room);
  return sites
    .filter((s) => component.get(s.from) === component.get(s.to))
    .sort(
      (a, b) => `${a.from} ${a.to} ${a.file}`.localeCompare(`${b.from} ${b.to} ${b.file}`) || a.line - b.line,
    )
    .map((s) => `${s.from} -> ${s.to}: ${s.file}:${s.line}: ${s.text}`);
}

/** Every source file under infra/, tests included; build output and dependencies left out. */
function infraSources(): Source[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      if (entry.isDirectory()) {
        return ['node_modules', 'target', '.serverless'].includes(entry.name)
          ? []
          : walk(join(dir, entry.name));
      }
      return sourceExtensions.test(entry.name) ? [join(dir, entry.name)] : [];
    });
  return walk(resolve(repoRoot, 'infra')).map((file) => ({
    path: relative(repoRoot, file).split(sep).join('/'),
    text: readFileSync(file, 'utf8'),
  }));
}

describe('the rooms of infra/', () => {
  const sites = crossRoomImports(infraSources());

  it('import each other in one direction only, directly or around a longer cycle', () => {
    expect(cycleLines(sites)).toEqual([]);
  });

  it('have the stack manager (infra/local) import no other room', () => {
    const fromLocal = sites
      .filter((s) => s.from === 'infra/local')
      .map((s) => `${s.file}:${s.line}: ${s.text}`);

    expect(fromLocal).toEqual([]);
  });

  it('are read for real: the dev runner is seen building on the stack and the migrations', () => {
    const reached = new Set(sites.filter((s) => s.from === 'infra/dev').map((s) => s.to));

    expect(reached).toContain('infra/local');
    expect(reached).toContain('infra/migrations');
  });
});

describe('crossRoomImports', () => {
  it('reads every form of import, with its line, and skips packages and imports within a room', () => {
    const text = [
      "import { a } from '../local/a.ts';",
      'import {',
      '  b,',
      '  type C,',
      "} from '../migrations/b.ts';",
      "import type { D } from '../spark/d.ts';",
      "export { e } from '../eventbus/e.ts';",
      "import '../randomuser/side-effect.ts';",
      "const f = await import('../schemas/f.ts');",
      "const g = require('../serverless/g.cjs');",
      "import { z } from 'zod';",
      "import { own } from './own.ts';",
      "import { lib } from '../../lib/errors.ts';",
      '// the stack imports no room from "../x" here',
    ].join('\n');

    const sites = crossRoomImports([{ path: 'infra/dev/start.ts', text }]);

    expect(sites.map((s) => [s.line, s.to])).toEqual([
      [1, 'infra/local'],
      [2, 'infra/migrations'],
      [6, 'infra/spark'],
      [7, 'infra/eventbus'],
      [8, 'infra/randomuser'],
      [9, 'infra/schemas'],
      [10, 'infra/serverless'],
    ]);
    expect(sites[1]?.text).toBe("import { b, type C, } from '../migrations/b.ts'");
  });
});

describe('cycleLines', () => {
  const site = (file: string, target: string): Source => ({
    path: file,
    text: `import { x } from '${target}';\n`,
  });

  it('names both import lines of two rooms that import each other', () => {
    const sites = crossRoomImports([
      site('infra/local/stack.ts', '../migrations/postgres.ts'),
      site('infra/migrations/migrate.ts', '../local/config.ts'),
      site('infra/dev/start.ts', '../local/config.ts'),
    ]);

    expect(cycleLines(sites)).toEqual([
      "infra/local -> infra/migrations: infra/local/stack.ts:1: import { x } from '../migrations/postgres.ts'",
      "infra/migrations -> infra/local: infra/migrations/migrate.ts:1: import { x } from '../local/config.ts'",
    ]);
  });

  it.each([
    {
      graph: 'a longer cycle, and only the imports on it',
      imports: [
        ['infra/dev/a.ts', '../migrations/b.ts'],
        ['infra/migrations/b.ts', '../spark/c.ts'],
        ['infra/spark/c.ts', '../dev/a.ts'],
        ['infra/spark/d.ts', '../local/d.ts'],
      ],
      cycle: ['infra/dev -> infra/migrations', 'infra/migrations -> infra/spark', 'infra/spark -> infra/dev'],
    },
    {
      graph: 'nothing in a graph with one direction only',
      imports: [
        ['infra/dev/a.ts', '../migrations/b.ts'],
        ['infra/dev/a.ts', '../local/c.ts'],
        ['infra/migrations/b.ts', '../local/c.ts'],
      ],
      cycle: [],
    },
  ])('finds $graph', ({ imports, cycle }) => {
    const sites = crossRoomImports(imports.map(([file = '', target = '']) => site(file, target)));

    expect(cycleLines(sites).map((line) => line.split(':')[0])).toEqual(cycle);
  });
});
