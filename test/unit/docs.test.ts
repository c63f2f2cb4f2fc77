/**
 * The documentation's own checks: README.md stays a short front page that opens with a table of contents, and
 * every relative link in every Markdown file of the repository resolves to a file, a folder or a heading inside
 * the repository. The helpers (slugs, headings, links, the table of contents, link resolution) are pure
 * functions, tested on examples first; only the last two tests read the repository.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The front page's budget: a few screens, as the anchors' root READMEs are. */
const readmeMaxBytes = 12 * 1024;

/**
 * The anchor GitHub gives a heading: its text as rendered (code spans lose their backticks, links keep their
 * text, inline HTML goes), lowercased, with every character that is not a letter, a mark, a digit, an
 * underscore, a hyphen or a space dropped, and each space turned into a hyphen (github-slugger's rules).
 */
function slug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]*>/g, '')
    .trim();
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** One line of a Markdown file with what is not prose blanked out: fenced code and HTML comments. */
interface ProseLine {
  /** 1-based. */
  number: number;
  text: string;
}

/**
 * The lines of a document that are prose: lines inside fenced code blocks (``` or ~~~) are left out, and HTML
 * comments are blanked, so neither yields headings or links.
 */
function proseLines(markdown: string): ProseLine[] {
  const out: ProseLine[] = [];
  let fence: { char: string; length: number } | undefined;
  let inComment = false;
  markdown.split('\n').forEach((raw, i) => {
    const opening = /^ {0,3}(`{3,}|~{3,})/.exec(raw);
    if (fence) {
      const closing = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(raw);
      if (closing?.[1]?.[0] === fence.char && closing[1].length >= fence.length) fence = undefined;
      return;
    }
    if (opening?.[1] && !inComment) {
      fence = { char: opening[1][0] ?? '`', length: opening[1].length };
      return;
    }
    let text = '';
    let rest = raw;
    while (rest !== '') {
      if (inComment) {
        const end = rest.indexOf('-->');
        if (end === -1) {
          rest = '';
        } else {
          rest = rest.slice(end + 3);
          inComment = false;
        }
      } else {
        const start = rest.indexOf('<!--');
        if (start === -1) {
          text += rest;
          rest = '';
        } else {
          text += rest.slice(0, start);
          rest = rest.slice(start + 4);
          inComment = true;
        }
      }
    }
    out.push({ number: i + 1, text });
  });
  return out;
}

/** An ATX heading: its level and its text. */
interface Heading {
  line: number;
  level: number;
  text: string;
  slug: string;
}

/**
 * The ATX headings of a document (`#` to `######`), outside code blocks and comments, each with its GitHub
 * anchor; a repeated anchor gets `-1`, `-2`, ... as on GitHub.
 */
function headings(markdown: string): Heading[] {
  const seen = new Map<string, number>();
  const found: Heading[] = [];
  for (const { number, text } of proseLines(markdown)) {
    const match = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(text);
    if (!match?.[1] || match[2] === undefined) continue;
    const base = slug(match[2]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.push({
      line: number,
      level: match[1].length,
      text: match[2],
      slug: count === 0 ? base : `${base}-${count}`,
    });
  }
  return found;
}

/** A link found in a document. */
interface Link {
  line: number;
  text: string;
  /** As written: a URL, a path, `path#anchor` or `#anchor`. */
  target: string;
}

/** An inline link or image on one line: `[text](target)` or `[text](target "title")`. */
const inlineLink = /!?\[((?:[^[\]]|\[[^\]]*\])*)\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/g;

/** A line with each code span turned into a run of x of the same length, so a link whose text is code still matches. */
function blankCode(line: string): string {
  return line.replace(/(`+)(.+?)\1/g, (span) => 'x'.repeat(span.length));
}

/**
 * The links of a document: inline links and images, `[text](target)` with an optional title, and reference
 * definitions, `[label]: target`. Links inside code (fenced blocks or code spans) and comments are not links.
 */
function links(markdown: string): Link[] {
  const found: Link[] = [];
  for (const { number, text } of proseLines(markdown)) {
    const line = blankCode(text);
    const definition = /^ {0,3}\[([^\]]+)\]:\s+<?([^\s>]+)>?/.exec(line);
    if (definition?.[1] && definition[2]) {
      found.push({ line: number, text: definition[1], target: definition[2] });
      continue;
    }
    for (const match of line.matchAll(inlineLink)) {
      if (match[2] !== undefined) found.push({ line: number, text: match[1] ?? '', target: match[2] });
    }
  }
  return found;
}

/**
 * Lines holding a link's `](` without its `[` on the same line: a link whose text wraps onto this line, or a
 * code span that wraps and so pairs its backticks wrongly. Lines are read one at a time, so either would leave
 * a link unchecked; the rule is that each link and each code span stays on one line.
 */
function wrappedLinkLines(markdown: string): number[] {
  return proseLines(markdown).flatMap(({ number, text }) =>
    blankCode(text).replace(inlineLink, '').includes('](') ? [number] : [],
  );
}

/** Whether a link leaves the repository by design: a URL with a scheme (https:, mailto:, ...). */
function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

/** What link resolution may ask of the repository: a path's kind and a Markdown file's text. */
interface RepoView {
  /** `file`, `dir`, or undefined when nothing is there; paths are relative to the root, `/`-separated. */
  kind(path: string): 'file' | 'dir' | undefined;
  read(path: string): string;
}

/**
 * Why a link of `from` (a path relative to the repository root) does not resolve, or undefined when it does:
 * the path must stay inside the repository and exist; an anchor must be a heading of the Markdown file it
 * points into (or, in any other file, a GitHub line anchor such as `L10-L20`).
 */
function linkProblem(from: string, target: string, repo: RepoView): string | undefined {
  if (isExternal(target)) return undefined;
  const hash = target.indexOf('#');
  const rawPath = (hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/, '');
  const anchor = hash === -1 ? undefined : target.slice(hash + 1);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return 'not a valid URL path';
  }
  if (path.startsWith('/')) return 'absolute path: write it relative to this file';
  const resolved = path === '' ? from : posix.normalize(posix.join(posix.dirname(from), path));
  if (resolved === '..' || resolved.startsWith('../')) return 'points outside the repository';
  const kind = resolved === '.' ? 'dir' : repo.kind(resolved.replace(/\/$/, ''));
  if (kind === undefined) return `no such file or folder: ${resolved}`;
  if (anchor === undefined || anchor === '') return undefined;
  if (kind === 'dir') return `an anchor on a folder: ${resolved}`;
  if (!resolved.endsWith('.md')) {
    return /^L\d+(-L\d+)?$/.test(anchor) ? undefined : `anchor #${anchor} in a file that is not Markdown`;
  }
  const slugs = new Set(headings(repo.read(resolved)).map((h) => h.slug));
  return slugs.has(decodeURIComponent(anchor)) ? undefined : `no heading #${anchor} in ${resolved}`;
}

/** Every broken relative link of one document, as `file:line: target: why`. */
function brokenLinks(file: string, markdown: string, repo: RepoView): string[] {
  // The document as given, not as stored, answers for its own anchors.
  const view: RepoView = {
    kind: (path) => (path === file ? 'file' : repo.kind(path)),
    read: (path) => (path === file ? markdown : repo.read(path)),
  };
  const broken = links(markdown).flatMap((link) => {
    const problem = linkProblem(file, link.target, view);
    return problem === undefined ? [] : [`${file}:${link.line}: (${link.target}): ${problem}`];
  });
  const wrapped = wrappedLinkLines(markdown).map(
    (line) =>
      `${file}:${line}: \`](\` without its \`[\` on this line: keep each link and each code span on one line`,
  );
  return [...broken, ...wrapped];
}

/**
 * What keeps a front page from opening with its table of contents. The rule: the first line is the `#` title;
 * at most one line of prose (a tagline) follows; then the first `##` heading, `Contents`, and right under it
 * a list of links to the document's own headings, each of which exists; every other `##` heading is listed.
 */
function contentsProblems(markdown: string): string[] {
  const lines = markdown.split('\n');
  const problems: string[] = [];
  if (!/^# \S/.test(lines[0] ?? '')) problems.push('line 1 is not the `# title`');
  const all = headings(markdown);
  const contents = all[1];
  if (contents?.level !== 2 || contents.text !== 'Contents') {
    return [...problems, 'the first heading after the title is not `## Contents`'];
  }
  const between = lines.slice(1, contents.line - 1).filter((line) => line.trim() !== '');
  if (between.length > 1) {
    problems.push(`${between.length} lines between the title and the contents; at most one (a tagline)`);
  }

  const entries: Array<{ line: number; anchor: string }> = [];
  let i = contents.line;
  while (i < lines.length && (lines[i] ?? '').trim() === '') i++;
  for (; i < lines.length && /^\s*[-*] /.test(lines[i] ?? ''); i++) {
    const entry = /^\s*[-*] \[[^\]]+\]\(#([^)\s]+)\)\s*$/.exec(lines[i] ?? '');
    if (entry?.[1]) entries.push({ line: i + 1, anchor: entry[1] });
    else problems.push(`line ${i + 1}: a contents entry is not one link to a heading: ${lines[i]}`);
  }
  if (entries.length === 0) problems.push('`## Contents` is not followed by a list of links');

  const slugs = new Set(all.map((h) => h.slug));
  for (const { line, anchor } of entries) {
    if (!slugs.has(anchor)) problems.push(`line ${line}: #${anchor} is not a heading of this document`);
  }
  const listed = new Set(entries.map((e) => e.anchor));
  for (const h of all) {
    if (h.level === 2 && h !== contents && !listed.has(h.slug)) {
      problems.push(`line ${h.line}: "## ${h.text}" is missing from the contents`);
    }
  }
  return problems;
}

/** The repository's Markdown files, tracked or new but not ignored, relative to the root. */
function markdownFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.md'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  const listed = out.split('\n').filter((file) => file !== '' && !/(^|\/)node_modules\//.test(file));
  // A tracked file deleted in the working tree is still listed by --cached.
  return [...new Set(listed)].filter((file) => fsView.kind(file) === 'file').sort();
}

const fsView: RepoView = {
  kind(path) {
    try {
      const stat = statSync(resolve(repoRoot, path));
      return stat.isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  },
  read: (path) => readFileSync(resolve(repoRoot, path), 'utf8'),
};

describe('slug', () => {
  it.each([
    ['Running the pipeline: `npm start`', 'running-the-pipeline-npm-start'],
    [
      'The local Kafka event source (`infra/offline-kafka`)',
      'the-local-kafka-event-source-infraoffline-kafka',
    ],
    ['Spark or the functions?', 'spark-or-the-functions'],
    ['Kafka → sink-users → Cassandra', 'kafka--sink-users--cassandra'],
    ['users_created and users_created.dlq', 'users_created-and-users_createddlq'],
    ['See [the design](docs/design.md) first', 'see-the-design-first'],
    ['Ünïcode Straße, 2 ports', 'ünïcode-straße-2-ports'],
    ['  Padded heading  ', 'padded-heading'],
  ])('%s → %s', (heading, expected) => {
    expect(slug(heading)).toBe(expected);
  });
});

describe('headings', () => {
  it('finds ATX headings with their level and line, outside code and comments', () => {
    const doc = [
      '# Title',
      '',
      '```bash',
      '# not a heading',
      '```',
      '<!-- ## not one either -->',
      '## Ports ##',
      '#no space, no heading',
    ].join('\n');

    expect(headings(doc)).toEqual([
      { line: 1, level: 1, text: 'Title', slug: 'title' },
      { line: 7, level: 2, text: 'Ports', slug: 'ports' },
    ]);
  });

  it('numbers repeated anchors as GitHub does', () => {
    const doc = '## Settings\n### Settings\n## Settings';

    expect(headings(doc).map((h) => h.slug)).toEqual(['settings', 'settings-1', 'settings-2']);
  });
});

describe('links', () => {
  it('finds inline links, images and reference definitions, with their lines', () => {
    const doc = [
      'See [the stack](infra/local/README.md#ports "Ports") and ![chart](bench/results/latest.svg).',
      '[`mapping`](functions/lib/users-created.ts), [home](https://example.com), [top](#contents)',
      '[design]: docs/design.md',
    ].join('\n');

    expect(links(doc)).toEqual([
      { line: 1, text: 'the stack', target: 'infra/local/README.md#ports' },
      { line: 1, text: 'chart', target: 'bench/results/latest.svg' },
      { line: 2, text: 'xxxxxxxxx', target: 'functions/lib/users-created.ts' },
      { line: 2, text: 'home', target: 'https://example.com' },
      { line: 2, text: 'top', target: '#contents' },
      { line: 3, text: 'design', target: 'docs/design.md' },
    ]);
  });

  it('finds the lines of links whose text wraps across lines, which it cannot check', () => {
    const doc = 'See [the\nstack](infra/local/README.md) and [one line](x.md).\n`](not a link)`';

    expect(wrappedLinkLines(doc)).toEqual([2]);
  });

  it('ignores links in code spans, fenced blocks and comments', () => {
    const doc = [
      'Write `[text](path)` for a link.',
      '~~~md',
      '[inside](a-fence.md)',
      '~~~',
      '<!-- settings:start [hidden](nowhere.md)',
      '[still hidden](nowhere.md) -->',
    ].join('\n');

    expect(links(doc)).toEqual([]);
  });
});

describe('linkProblem', () => {
  const files: Record<string, string> = {
    'README.md': '# Title\n## Contents\n## Run it\n',
    'infra/local/README.md': '# Local stack\n## Ports\n',
    'infra/local/config.ts': 'export {};',
  };
  const repo: RepoView = {
    kind: (path) =>
      path in files ? 'file' : Object.keys(files).some((f) => f.startsWith(`${path}/`)) ? 'dir' : undefined,
    read: (path) => files[path] ?? '',
  };

  it.each([
    ['README.md', 'infra/local/README.md#ports'],
    ['README.md', 'infra/local/'],
    ['README.md', '#run-it'],
    ['infra/local/README.md', '../../README.md#contents'],
    ['infra/local/README.md', 'config.ts#L10-L20'],
    ['infra/local/README.md', 'https://kafka.apache.org/'],
    ['README.md', 'infra/local/README.md?plain=1'],
  ])('accepts %s → %s', (from, target) => {
    expect(linkProblem(from, target, repo)).toBeUndefined();
  });

  it.each([
    ['README.md', '../shared/DESIGN.md', 'points outside the repository'],
    ['infra/local/README.md', '../../../elsewhere.md', 'points outside the repository'],
    ['README.md', 'docs/design.md', 'no such file or folder: docs/design.md'],
    ['README.md', '#nowhere', 'no heading #nowhere in README.md'],
    ['README.md', 'infra/local/README.md#status', 'no heading #status in infra/local/README.md'],
    ['README.md', 'infra/local#ports', 'an anchor on a folder: infra/local'],
    [
      'README.md',
      'infra/local/config.ts#loadStackConfig',
      'anchor #loadStackConfig in a file that is not Markdown',
    ],
    ['README.md', '/infra/local/README.md', 'absolute path: write it relative to this file'],
  ])('rejects %s → %s', (from, target, problem) => {
    expect(linkProblem(from, target, repo)).toBe(problem);
  });

  it('reports each broken link with its file and line', () => {
    const doc = '# T\n\n[ok](#t)\n[bad](missing.md)';

    expect(brokenLinks('README.md', doc, repo)).toEqual([
      'README.md:4: (missing.md): no such file or folder: missing.md',
    ]);
  });
});

describe('contentsProblems', () => {
  const good = [
    '# realtime-user-pipeline',
    'A tagline.',
    '',
    '## Contents',
    '',
    '- [Run it](#run-it)',
    '  - [What you see](#what-you-see)',
    '- [Layout](#layout)',
    '',
    '## Run it',
    '### What you see',
    '## Layout',
  ].join('\n');

  it('accepts a title, a tagline and a contents list that names every section', () => {
    expect(contentsProblems(good)).toEqual([]);
  });

  it('wants `## Contents` to be the first heading after the title', () => {
    const doc = good.replace('## Contents', '## Introduction');

    expect(contentsProblems(doc)).toEqual(['the first heading after the title is not `## Contents`']);
  });

  it('allows at most one line before the contents', () => {
    const doc = good.replace('A tagline.', 'A tagline.\nAnd a paragraph.');

    expect(contentsProblems(doc)).toEqual([
      '2 lines between the title and the contents; at most one (a tagline)',
    ]);
  });

  it('names entries that point nowhere and sections that are not listed', () => {
    const doc = good.replace('- [Layout](#layout)', '- [Layout](#the-layout)');

    expect(contentsProblems(doc)).toEqual([
      'line 8: #the-layout is not a heading of this document',
      'line 12: "## Layout" is missing from the contents',
    ]);
  });

  it('wants a list of links right under the heading', () => {
    const doc = good.replace('- [Run it](#run-it)', 'Run it first.');

    expect(contentsProblems(doc)).toContain('`## Contents` is not followed by a list of links');
  });
});

describe('the repository', () => {
  it(`keeps README.md within ${readmeMaxBytes} bytes, opening with its table of contents`, () => {
    const readme = readFileSync(resolve(repoRoot, 'README.md'), 'utf8');

    const bytes = Buffer.byteLength(readme);
    const problems = contentsProblems(readme);

    expect(bytes, `README.md is ${bytes} bytes`).toBeLessThanOrEqual(readmeMaxBytes);
    expect(problems).toEqual([]);
  });

  it('has no broken relative link in any Markdown file', () => {
    const files = markdownFiles();

    const broken = files.flatMap((file) => brokenLinks(file, fsView.read(file), fsView));

    expect(files).toContain('README.md');
    expect(broken).toEqual([]);
  });
});
