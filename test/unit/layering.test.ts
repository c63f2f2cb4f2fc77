// Which room may import which: the rules of the layout, checked over every TypeScript file's relative
// imports. Each rule is one row of `forbidden`; a room that must not depend on another gets a row, with the
// reason it is there. Package imports (`zod`, `pg`) are not rooms and are not checked.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

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
    from: 'lib/**',
    to: '',
    except: ['lib/'],
    why: 'lib/ is the bottom layer every room imports, so it imports none of them',
  },
];

const repoRoot = resolve(import.meta.dirname, '..', '..');
// Dependencies, build output and local state: not the repository's code.
const skipped = new Set(['node_modules', '.git', '.local', '.serverless', '.esbuild', 'target', 'coverage']);

/** Every `.ts` file under `dir`, as a repository path with `/` separators. */
function typeScriptFiles(dir = repoRoot): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (skipped.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.isFile() && entry.name.endsWith('.ts')
      ? [relative(repoRoot, path).split('\\').join('/')]
      : [];
  });
}

// `from '…'`, `import '…'` and `import('…')`: the specifier of every static or dynamic import and re-export.
const importSpecifier = /\b(?:from|import)\s*\(?\s*['"]([^'"\n]+)['"]/g;

/** The repository paths a file's relative imports point at. */
function importsOf(file: string, source: string): string[] {
  return [...source.matchAll(importSpecifier)]
    .map((match) => match[1] ?? '')
    .filter((specifier) => specifier.startsWith('./') || specifier.startsWith('../'))
    .map((specifier) => posix.normalize(posix.join(posix.dirname(file), specifier)));
}

/** A glob over repository paths as a regular expression. */
function globPattern(glob: string): RegExp {
  const body = glob
    .split('**')
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** Each import of `files` that a rule forbids, as `importer → imported (why)`. */
function violations(files: ReadonlyMap<string, string>, rules: readonly LayerRule[]): string[] {
  const found: string[] = [];
  for (const rule of rules) {
    const from = globPattern(rule.from);
    for (const [file, source] of files) {
      if (!from.test(file)) continue;
      for (const target of importsOf(file, source)) {
        const allowed = (rule.except ?? []).some((prefix) => target.startsWith(prefix));
        if (target.startsWith(rule.to) && !allowed) found.push(`${file} → ${target} (${rule.why})`);
      }
    }
  }
  return found;
}

describe('layering', () => {
  const files = new Map(typeScriptFiles().map((file) => [file, readFileSync(join(repoRoot, file), 'utf8')]));

  it('finds the imports it checks, single-line, multi-line and dynamic', () => {
    const source = [
      "import { a } from './a.ts';",
      'import {\n  b,\n  c,\n} from "../lib/b.ts";',
      "export { d } from '../../functions/lib/d.ts';",
      "const e = await import('./e.ts');",
      "import 'zod';",
    ].join('\n');

    expect(importsOf('infra/x/f.ts', source)).toEqual([
      'infra/x/a.ts',
      'infra/lib/b.ts',
      'functions/lib/d.ts',
      'infra/x/e.ts',
    ]);
    expect(
      importsOf('functions/sink-users/sink.ts', files.get('functions/sink-users/sink.ts') ?? ''),
    ).toContain('functions/lib/users-created.ts');
  });

  it('reports an import that a rule forbids, and not one its exception allows', () => {
    const fake = new Map([
      ['functions/lib/a.ts', "import { x } from '../sink-users/core.ts';\nimport { y } from './b.ts';"],
      ['lib/c.ts', "import { z } from '../infra/local/config.ts';"],
    ]);

    expect(violations(fake, forbidden)).toEqual([
      'functions/lib/a.ts → functions/sink-users/core.ts (the shared room of the functions depends on no single function)',
      'lib/c.ts → infra/local/config.ts (lib/ is the bottom layer every room imports, so it imports none of them)',
    ]);
  });

  it('holds for every TypeScript file of the repository', () => {
    expect(files.size).toBeGreaterThan(100);
    expect(violations(files, forbidden)).toEqual([]);
  });
});
