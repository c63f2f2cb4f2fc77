/**
 * Which room may import which: the rules of the layout, checked over the relative imports of every source file
 * of the repository (TypeScript and JavaScript, tests included), read as text by one scanner. Two checks use
 * it. The table `forbidden` holds the dependencies no room may have, one row each with the reason it is there.
 * And the rooms of infra/ (its top-level folders: local, dev, migrations, spark, eventbus, ...) depend on one
 * another in one direction only, directly or around a longer cycle, so each can be read, tested and changed
 * from the rooms below it up. Failures name the offending import as `file:line: statement (why)`. Package
 * imports (`zod`, `pg`) are not rooms and are not checked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/paths.ts';

/** A forbidden dependency: no file matching `from` may import a path under `to`, except under `except`. */
interface LayerRule {
  /** Importing files, as a glob over repository paths: `*` within a folder name, `**` across folders. */
  from: string;
  /** Imported paths that are forbidden, by prefix; `''` is every path in the repository. */
  to: string;
  /** Imported paths that stay allowed although they start with `to`, by prefix. */
  except?: readonly string[];
  /** Why the rule holds, for the failure message. */
  why: string;
}

const forbidden: readonly LayerRule[] = [
  {
    from: 'functions/lib/**',
    to: 'functions/',
    except: ['functions/lib/'],
    why: 'the shared room of the functions depends on no single function',
  },
  {
    from: 'infra/offline-kafka/**',
    to: 'functions/',
    why: 'the local Kafka event source stands on its own, like the AWS service it emulates',
  },
  {
    from: 'infra/local/**',
    to: 'infra/',
    except: ['infra/local/'],
    why: 'the stack manager sits at the bottom of infra/, so it imports no other room of it',
  },
  {
    from: 'lib/**',
    to: '',
    except: ['lib/'],
    why: 'lib/ is the bottom layer every room imports, so it imports none of them',
  },
];

/** One relative import: where it is, what it says, and the repository path it reaches. */
interface ImportSite {
  file: string;
  line: number;
  /** The statement on one line, whitespace collapsed. */
  statement: string;
  target: string;
}

/** A source file's contents by its repository path (`/` separators). */
type Sources = ReadonlyMap<string, string>;

const sourceExtensions = /\.(ts|cts|mts|js|cjs|mjs)$/;
// Dependencies, build output and local state: not the repository's code.
const skipped = new Set(['node_modules', '.git', '.local', '.serverless', '.esbuild', 'target', 'coverage']);

/** Every source file under `dir`, as a repository path with `/` separators. */
function sourceFiles(dir = repoRoot): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (skipped.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && sourceExtensions.test(entry.name)
      ? [relative(repoRoot, path).split('\\').join('/')]
      : [];
  });
}

// `import … from '…'` and `export … from '…'` at the start of a line, over several lines if need be; a bare
// `import '…'`; and `import('…')` or `require('…')` anywhere. Anchoring the first two at the start of a line
// keeps a `from '…'` in prose or a string from counting as an import.
const importPatterns = [
  /^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1/gm,
  /^[ \t]*import\s*(['"])([^'"]+)\1/gm,
  /\b(?:import|require)\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
];

/** The relative imports of a file, in the order they appear. */
function importsOf(file: string, source: string): ImportSite[] {
  return importPatterns
    .flatMap((pattern) => [...source.matchAll(pattern)])
    .filter((match) => match[2]?.startsWith('.'))
    .sort((a, b) => a.index - b.index)
    .map((match) => ({
      file,
      line: source.slice(0, match.index).split('\n').length,
      statement: match[0].trim().replace(/\s+/g, ' '),
      target: posix.normalize(posix.join(posix.dirname(file), match[2] ?? '')),
    }));
}

/** How a failure names an import: `file:line: statement (why)`. */
function described(site: ImportSite, why: string): string {
  return `${site.file}:${site.line}: ${site.statement} (${why})`;
}

/** A glob over repository paths as a regular expression. */
function globPattern(glob: string): RegExp {
  const body = glob
    .split('**')
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** Each import of `files` that a rule forbids. */
function violations(files: Sources, rules: readonly LayerRule[]): string[] {
  const found: string[] = [];
  for (const rule of rules) {
    const from = globPattern(rule.from);
    for (const [file, source] of files) {
      if (!from.test(file)) continue;
      for (const site of importsOf(file, source)) {
        const allowed = (rule.except ?? []).some((prefix) => site.target.startsWith(prefix));
        if (site.target.startsWith(rule.to) && !allowed) found.push(described(site, rule.why));
      }
    }
  }
  return found;
}

/** An import from one room of infra/ into another. */
interface RoomEdge extends ImportSite {
  from: string;
  to: string;
}

/** The room of a path under infra/ (`infra/local/x.ts` is in `infra/local`), or undefined outside infra/. */
function roomOf(path: string): string | undefined {
  const [top, room, ...rest] = path.split('/');
  return top === 'infra' && room !== undefined && rest.length > 0 ? `infra/${room}` : undefined;
}

/** Every import in `files` from one room of infra/ into another. */
function crossRoomImports(files: Sources): RoomEdge[] {
  return [...files].flatMap(([file, source]) => {
    const from = roomOf(file);
    if (from === undefined) return [];
    return importsOf(file, source).flatMap((site) => {
      const to = roomOf(site.target);
      return to === undefined || to === from ? [] : [{ ...site, from, to }];
    });
  });
}

/**
 * The imports that close a cycle between rooms: every import between two rooms of the same strongly connected
 * component (Tarjan's algorithm), sorted by rooms, file and line.
 */
function cycleEdges(edges: readonly RoomEdge[]): RoomEdge[] {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    graph.set(from, (graph.get(from) ?? new Set()).add(to));
    if (!graph.has(to)) graph.set(to, new Set());
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
    for (const to of graph.get(room) ?? []) {
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
  for (const room of [...graph.keys()].sort()) if (!index.has(room)) visit(room);
  return edges
    .filter((e) => component.get(e.from) === component.get(e.to))
    .sort(
      (a, b) => `${a.from} ${a.to} ${a.file}`.localeCompare(`${b.from} ${b.to} ${b.file}`) || a.line - b.line,
    );
}

/** The imports on a cycle between rooms, as failure messages. */
function cycleLines(edges: readonly RoomEdge[]): string[] {
  return cycleEdges(edges).map((e) =>
    described(e, `${e.from} -> ${e.to} is on a cycle: the rooms of infra/ import each other one way only`),
  );
}

describe('layering', () => {
  const files: Sources = new Map(
    sourceFiles().map((file) => [file, readFileSync(join(repoRoot, file), 'utf8')]),
  );
  const edges = crossRoomImports(files);

  it('holds for every source file of the repository', () => {
    expect(files.size).toBeGreaterThan(100);
    expect(violations(files, forbidden)).toEqual([]);
  });

  it('has the rooms of infra/ import each other in one direction only, directly or around a longer cycle', () => {
    expect(cycleLines(edges)).toEqual([]);
  });

  it('reads the repository for real: the dev runner is seen building on the stack and the migrations', () => {
    const reached = new Set(edges.filter((e) => e.from === 'infra/dev').map((e) => e.to));

    expect(reached).toContain('infra/local');
    expect(reached).toContain('infra/migrations');
    expect(
      importsOf('functions/sink-users/sink.ts', files.get('functions/sink-users/sink.ts') ?? '').map(
        (site) => site.target,
      ),
    ).toContain('functions/lib/users-created.ts');
  });
});

describe('importsOf', () => {
  it('reads every form of import, with its line, and skips packages', () => {
    const source = [
      "import { a } from './a.ts';",
      'import {',
      '  b,',
      '  type C,',
      '} from "../lib/b.ts";',
      "import type { D } from '../spark/d.ts';",
      "export { e } from '../../functions/lib/e.ts';",
      "import '../randomuser/side-effect.ts';",
      "const f = await import('./f.ts');",
      "const g = require('../serverless/g.cjs');",
      "import { z } from 'zod';",
      '// the stack imports no room from "../x" here',
    ].join('\n');

    const sites = importsOf('infra/x/f.ts', source);

    expect(sites.map((s) => [s.line, s.target])).toEqual([
      [1, 'infra/x/a.ts'],
      [2, 'infra/lib/b.ts'],
      [6, 'infra/spark/d.ts'],
      [7, 'functions/lib/e.ts'],
      [8, 'infra/randomuser/side-effect.ts'],
      [9, 'infra/x/f.ts'],
      [10, 'infra/serverless/g.cjs'],
    ]);
    expect(sites[1]?.statement).toBe('import { b, type C, } from "../lib/b.ts"');
  });
});

describe('violations', () => {
  it('reports an import that a rule forbids, and not one its exception allows', () => {
    const fake = new Map([
      ['functions/lib/a.ts', "import { x } from '../sink-users/core.ts';\nimport { y } from './b.ts';"],
      [
        'infra/local/stack.ts',
        "import { own } from './config.ts';\nimport { m } from '../migrations/types.ts';",
      ],
      ['lib/c.ts', "import { z } from '../infra/local/config.ts';"],
    ]);

    expect(violations(fake, forbidden)).toEqual([
      "functions/lib/a.ts:1: import { x } from '../sink-users/core.ts' (the shared room of the functions depends on no single function)",
      "infra/local/stack.ts:2: import { m } from '../migrations/types.ts' (the stack manager sits at the bottom of infra/, so it imports no other room of it)",
      "lib/c.ts:1: import { z } from '../infra/local/config.ts' (lib/ is the bottom layer every room imports, so it imports none of them)",
    ]);
  });
});

describe('crossRoomImports', () => {
  it('keeps imports between rooms of infra/, and skips those within a room or outside infra/', () => {
    const fake = new Map([
      [
        'infra/dev/start.ts',
        [
          "import { a } from '../local/a.ts';",
          "import { own } from './own.ts';",
          "import { lib } from '../../lib/errors.ts';",
        ].join('\n'),
      ],
      ['lib/c.ts', "import { z } from '../infra/local/config.ts';"],
    ]);

    expect(crossRoomImports(fake).map((e) => [e.line, e.from, e.to])).toEqual([
      [1, 'infra/dev', 'infra/local'],
    ]);
  });
});

describe('cycleLines', () => {
  /** Sources holding one import line per pair, a file's lines in the order given. */
  const fake = (imports: readonly (readonly [string, string])[]): Sources => {
    const files = new Map<string, string>();
    for (const [file, target] of imports) {
      files.set(file, `${files.get(file) ?? ''}import { x } from '${target}';\n`);
    }
    return files;
  };

  it('names both import lines of two rooms that import each other', () => {
    const edges = crossRoomImports(
      fake([
        ['infra/local/stack.ts', '../migrations/postgres.ts'],
        ['infra/migrations/migrate.ts', '../local/config.ts'],
        ['infra/dev/start.ts', '../local/config.ts'],
      ]),
    );

    expect(cycleLines(edges)).toEqual([
      "infra/local/stack.ts:1: import { x } from '../migrations/postgres.ts' (infra/local -> infra/migrations is on a cycle: the rooms of infra/ import each other one way only)",
      "infra/migrations/migrate.ts:1: import { x } from '../local/config.ts' (infra/migrations -> infra/local is on a cycle: the rooms of infra/ import each other one way only)",
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
  ] as const)('finds $graph', ({ imports, cycle }) => {
    const edges = crossRoomImports(fake(imports));

    expect(cycleEdges(edges).map((e) => `${e.from} -> ${e.to}`)).toEqual(cycle);
  });
});
