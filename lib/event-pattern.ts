/**
 * EventBridge event patterns, matched as AWS matches them. AWS's own matcher is the Java library aws/event-ruler;
 * this module follows its README and its JSON rule compiler (`JsonRuleCompiler`, matched with
 * `rulesForJSONEvent`), and is the one matcher of the repository: the local EventBridge (infra/eventbus) routes
 * events with it, and the local Kafka event source (infra/offline-kafka) filters records with it, since Lambda's
 * filter criteria use the same syntax. Pure: no I/O.
 *
 * A pattern is compiled once ({@link compilePattern}), which checks it the way AWS does when a rule is created.
 * A pattern AWS would refuse, or one using an operator implemented nowhere here (`cidr`), compiles with
 * `problems` and never matches, so a rule is never matched silently wrong; the lints print the problems.
 *
 * What matches, as event-ruler has it:
 * - A leaf field lists values; it matches when the event's value (or, for an array, any of its elements)
 *   matches any of them. Strings, numbers, booleans and null match exactly and never across types (the string
 *   "5" is not the number 5; numbers compare by value, so 301.8 equals 3.018e2).
 * - `prefix`, `suffix` (either with `equals-ignore-case`), `equals-ignore-case`, `wildcard` and `exactly`
 *   match strings only; `numeric` matches numbers only.
 * - `anything-but` (a string, a number, a list of either, or a `prefix`, `suffix`, `equals-ignore-case` or
 *   `wildcard` set) matches any value of the field that is not excluded, of any type, but never an absent field.
 * - `exists` looks at leaves: a field whose value is an object does not exist as a leaf.
 * - Nested objects match nested fields. An array of objects matches when one element matches the whole nested
 *   pattern, so two fields are never matched from two different elements (event-ruler's array consistency).
 * - `$or` holds two or more patterns, one of which must match besides the fields next to it.
 */

/** A JSON value, as an event carries it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Why a pattern cannot be matched as AWS would: AWS refuses it (`invalid`), or this module lacks the operator. */
export interface PatternProblem {
  kind: 'invalid' | 'unsupported';
  /** Where in the pattern, e.g. `detail.state[1]`; empty for the whole pattern. */
  path: string;
  message: string;
}

/** A checked pattern. `matches` is false for every event when `problems` is not empty. */
export interface CompiledPattern {
  problems: PatternProblem[];
  matches(event: unknown): boolean;
}

/** Operators event-ruler knows that this module does not implement. */
const unsupportedOperators = new Set(['cidr']);

/** Names event-ruler refuses as field names inside `$or`: its operators and words it reserves. */
const reservedInOr = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

type Leaf = string | number | boolean | null;
type ValueTest = (value: Leaf) => boolean;

/** One value of a leaf field's list. */
type Matcher =
  | { kind: 'test'; test: ValueTest }
  /** Matches when no excluded value is equal: applied to every leaf value, never to an absent field. */
  | { kind: 'anything-but'; excludes: ValueTest }
  | { kind: 'exists'; exists: boolean };

interface Node {
  fields: Array<{ name: string; leaf: Matcher[] } | { name: string; node: Node }>;
  /** Each `$or` at this level: one of its branches must match. */
  ors: Node[][];
}

/**
 * Compiles `pattern`, checking it as AWS does when a rule is created.
 *
 * @param pattern - the pattern as parsed JSON (serverless.yml's `pattern`, or a filter criterion)
 */
export function compilePattern(pattern: unknown): CompiledPattern {
  const problems: PatternProblem[] = [];
  if (!isJsonObject(pattern)) {
    problems.push({ kind: 'invalid', path: '', message: 'a pattern must be an object' });
    return { problems, matches: () => false };
  }
  const node = compileNode(pattern, '', false, problems);
  if (problems.length > 0) return { problems, matches: () => false };
  return { problems, matches: (event) => matchNode(node, toJson(event)) };
}

function compileNode(
  pattern: Record<string, unknown>,
  path: string,
  inOr: boolean,
  problems: PatternProblem[],
): Node {
  const node: Node = { fields: [], ors: [] };
  const entries = Object.entries(pattern);
  if (entries.length === 0) invalid(problems, path, 'empty objects are not allowed');
  for (const [name, value] of entries) {
    const at = join(path, name);
    if (name === '$or') {
      node.ors.push(compileOr(value, at, problems));
      continue;
    }
    if (inOr && reservedInOr.has(name)) {
      invalid(problems, at, `"${name}" is a reserved word and cannot be a field name inside $or`);
      continue;
    }
    if (Array.isArray(value)) node.fields.push({ name, leaf: compileLeaf(value, at, problems) });
    else if (isJsonObject(value)) node.fields.push({ name, node: compileNode(value, at, inOr, problems) });
    else invalid(problems, at, 'must be an object or an array');
  }
  return node;
}

function compileOr(value: unknown, path: string, problems: PatternProblem[]): Node[] {
  if (!Array.isArray(value)) {
    invalid(problems, path, '$or must be an array of patterns');
    return [];
  }
  if (value.length < 2) invalid(problems, path, '$or needs at least 2 patterns');
  return value.flatMap((branch, i) => {
    if (!isJsonObject(branch)) {
      invalid(problems, `${path}[${i}]`, 'only objects are allowed in $or');
      return [];
    }
    return [compileNode(branch, `${path}[${i}]`, true, problems)];
  });
}

function compileLeaf(values: readonly unknown[], path: string, problems: PatternProblem[]): Matcher[] {
  if (values.length === 0) invalid(problems, path, 'empty arrays are not allowed');
  return values.flatMap((value, i): Matcher[] => {
    const at = `${path}[${i}]`;
    if (value === null || typeof value === 'string' || typeof value === 'boolean') {
      return [{ kind: 'test', test: (v) => v === value }];
    }
    if (typeof value === 'number')
      return [{ kind: 'test', test: (v) => typeof v === 'number' && v === value }];
    if (!isJsonObject(value)) {
      invalid(problems, at, 'a value must be a string, number, true, false, null or an operator object');
      return [];
    }
    const keys = Object.keys(value);
    const [operator] = keys;
    if (operator === undefined || keys.length > 1) {
      invalid(problems, at, 'an operator object holds exactly one operator');
      return [];
    }
    const matcher = compileOperator(operator, value[operator], at, problems);
    return matcher ? [matcher] : [];
  });
}

function compileOperator(
  operator: string,
  arg: unknown,
  path: string,
  problems: PatternProblem[],
): Matcher | undefined {
  const test = (t: ValueTest): Matcher => ({ kind: 'test', test: t });
  switch (operator) {
    case 'exactly': {
      const s = string(arg, path, 'exactly', problems);
      return s === undefined ? undefined : test((v) => v === s);
    }
    case 'prefix':
    case 'suffix': {
      const affix = affixTest(operator, arg, path, problems);
      return affix ? test((v) => typeof v === 'string' && affix(v)) : undefined;
    }
    case 'equals-ignore-case': {
      const s = string(arg, path, operator, problems);
      if (s === undefined) return undefined;
      const folded = fold(s);
      return test((v) => typeof v === 'string' && fold(v) === folded);
    }
    case 'wildcard': {
      const re = wildcard(arg, path, problems);
      return re ? test((v) => typeof v === 'string' && re.test(v)) : undefined;
    }
    case 'numeric': {
      const range = numeric(arg, path, problems);
      return range ? test((v) => typeof v === 'number' && range(v)) : undefined;
    }
    case 'exists':
      if (typeof arg !== 'boolean') {
        invalid(problems, path, 'exists must be true or false');
        return undefined;
      }
      return { kind: 'exists', exists: arg };
    case 'anything-but': {
      const excludes = anythingBut(arg, path, problems);
      return excludes ? { kind: 'anything-but', excludes } : undefined;
    }
    default:
      if (unsupportedOperators.has(operator)) {
        problems.push({
          kind: 'unsupported',
          path,
          message: `operator "${operator}" is not emulated and never matches locally`,
        });
      } else {
        invalid(problems, path, `unrecognized operator "${operator}"`);
      }
      return undefined;
  }
}

/** `prefix`/`suffix` with a string, or with `{"equals-ignore-case": string}`. */
function affixTest(
  operator: 'prefix' | 'suffix',
  arg: unknown,
  path: string,
  problems: PatternProblem[],
): ((value: string) => boolean) | undefined {
  const ends = operator === 'prefix' ? startsWith : endsWith;
  if (typeof arg === 'string') return (v) => ends(v, arg);
  if (isJsonObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length === 1 && keys[0] === 'equals-ignore-case') {
      const s = string(arg['equals-ignore-case'], path, `${operator} equals-ignore-case`, problems);
      if (s === undefined) return undefined;
      const folded = fold(s);
      return (v) => ends(fold(v), folded);
    }
    invalid(problems, path, `unsupported ${operator} pattern: ${keys.join(', ')}`);
    return undefined;
  }
  invalid(problems, path, `${operator} match pattern must be a string`);
  return undefined;
}

/** What `anything-but` excludes; the field matches when a value is not excluded. */
function anythingBut(arg: unknown, path: string, problems: PatternProblem[]): ValueTest | undefined {
  if (typeof arg === 'string') return (v) => v === arg;
  if (typeof arg === 'number') return (v) => typeof v === 'number' && v === arg;
  if (Array.isArray(arg)) {
    const strings = arg.every((a) => typeof a === 'string');
    const numbers = arg.every((a) => typeof a === 'number');
    if (arg.length === 0 || (!strings && !numbers)) {
      invalid(problems, path, 'an anything-but list holds only strings or only numbers');
      return undefined;
    }
    const excluded = new Set<unknown>(arg);
    return (v) => excluded.has(v);
  }
  if (!isJsonObject(arg)) {
    invalid(problems, path, 'anything-but takes a string, a number, a list of either, or an object');
    return undefined;
  }
  const keys = Object.keys(arg);
  const [operator] = keys;
  const allowed = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'];
  if (operator === undefined || keys.length > 1 || !allowed.includes(operator)) {
    invalid(problems, path, `unsupported anything-but pattern: ${keys.join(', ') || 'none'}`);
    return undefined;
  }
  const raw = arg[operator];
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || !list.every((s): s is string => typeof s === 'string')) {
    invalid(problems, path, `anything-but ${operator} takes a string or a list of strings`);
    return undefined;
  }
  if ((operator === 'prefix' || operator === 'suffix') && list.includes('')) {
    invalid(problems, path, `an empty anything-but ${operator} is not allowed`);
    return undefined;
  }
  if (operator === 'prefix') return (v) => typeof v === 'string' && list.some((p) => v.startsWith(p));
  if (operator === 'suffix') return (v) => typeof v === 'string' && list.some((s) => v.endsWith(s));
  if (operator === 'equals-ignore-case') {
    const folded = new Set(list.map(fold));
    return (v) => typeof v === 'string' && folded.has(fold(v));
  }
  const res = list.map((w) => wildcard(w, path, problems));
  if (res.some((re) => re === undefined)) return undefined;
  return (v) => typeof v === 'string' && res.some((re) => re?.test(v));
}

/**
 * `["<", 10]`, `[">=", 0, "<", 5]` or `["=", 3]`, checked as event-ruler checks them: a lower bound may be
 * followed by an upper one (`<` or `<=`), never the other way round, and the lower must be below the upper.
 */
function numeric(
  arg: unknown,
  path: string,
  problems: PatternProblem[],
): ((n: number) => boolean) | undefined {
  const fail = (message: string) => {
    invalid(problems, path, message);
    return undefined;
  };
  if (!Array.isArray(arg)) return fail('numeric takes an array');
  const [op, value, op2, value2, ...rest] = arg;
  if (typeof op !== 'string') return fail('numeric starts with an operator');
  if (typeof value !== 'number') return fail(`the value of ${op} must be a number`);
  const lower = op === '>' || op === '>=';
  if (op2 === undefined) {
    if (arg.length !== 2) return fail('too many elements in numeric expression');
    switch (op) {
      case '=':
        return (n) => n === value;
      case '<':
        return (n) => n < value;
      case '<=':
        return (n) => n <= value;
      case '>':
        return (n) => n > value;
      case '>=':
        return (n) => n >= value;
      default:
        return fail(`unrecognized numeric operator "${op}"`);
    }
  }
  if (!lower) return fail(`"${op}" cannot start a numeric range; use > or >= first`);
  if (op2 !== '<' && op2 !== '<=') return fail(`bad numeric range operator "${String(op2)}"`);
  if (typeof value2 !== 'number') return fail(`the value of ${op2} must be a number`);
  if (rest.length > 0) return fail('too many terms in numeric range expression');
  if (!(value < value2)) return fail('the bottom of a numeric range must be below its top');
  const above = op === '>' ? (n: number) => n > value : (n: number) => n >= value;
  const below = op2 === '<' ? (n: number) => n < value2 : (n: number) => n <= value2;
  return (n) => above(n) && below(n);
}

/**
 * A wildcard as event-ruler reads it: `*` is any run of characters, `\*` a literal star and `\\` a literal
 * backslash; two stars in a row and any other escape are refused.
 */
function wildcard(arg: unknown, path: string, problems: PatternProblem[]): RegExp | undefined {
  if (typeof arg !== 'string') {
    invalid(problems, path, 'wildcard match pattern must be a string');
    return undefined;
  }
  let body = '';
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i] ?? '';
    if (c === '*') {
      if (arg[i + 1] === '*') {
        invalid(problems, path, `consecutive wildcard characters at position ${i + 1}`);
        return undefined;
      }
      body += '.*';
    } else if (c === '\\') {
      const next = arg[i + 1];
      if (next !== '*' && next !== '\\') {
        invalid(problems, path, `invalid escape character at position ${i + 1}`);
        return undefined;
      }
      body += `\\${next}`;
      i++;
    } else {
      body += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${body}$`, 's');
}

function string(arg: unknown, path: string, what: string, problems: PatternProblem[]): string | undefined {
  if (typeof arg === 'string') return arg;
  invalid(problems, path, `${what} match pattern must be a string`);
  return undefined;
}

function matchNode(node: Node, data: Json | undefined): boolean {
  const object = isJsonObject(data) ? data : undefined;
  for (const field of node.fields) {
    const value = object?.[field.name];
    const ok = 'leaf' in field ? matchLeaf(field.leaf, value) : matchNested(field.node, value);
    if (!ok) return false;
  }
  return node.ors.every((branches) => branches.some((branch) => matchNode(branch, data)));
}

/** A nested pattern against a value: an object, or an array of which one object element must match. */
function matchNested(node: Node, value: Json | undefined): boolean {
  const objects = flatten(value).filter(isJsonObject);
  if (objects.length === 0) return matchNode(node, undefined);
  return objects.some((object) => matchNode(node, object));
}

function matchLeaf(matchers: readonly Matcher[], value: Json | undefined): boolean {
  const leaves = flatten(value).filter((v): v is Leaf => !isJsonObject(v));
  return matchers.some((m) => {
    if (m.kind === 'exists') return m.exists === leaves.length > 0;
    if (m.kind === 'anything-but') return leaves.some((v) => !m.excludes(v));
    return leaves.some(m.test);
  });
}

/** A value and, for arrays, their elements at any depth. */
function flatten(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [value];
  return value.flatMap(flatten);
}

function toJson(value: unknown): Json | undefined {
  return isJson(value) ? value : undefined;
}

function isJson(value: unknown): value is Json {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    Array.isArray(value) ||
    isJsonObject(value)
  );
}

/** Whether a value is a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function startsWith(value: string, prefix: string): boolean {
  return value.startsWith(prefix);
}

function endsWith(value: string, suffix: string): boolean {
  return value.endsWith(suffix);
}

/** Case folding for the ignore-case operators. */
function fold(value: string): string {
  return value.toLowerCase();
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function invalid(problems: PatternProblem[], path: string, message: string): void {
  problems.push({ kind: 'invalid', path, message });
}

/** `detail.state[1]: operator "cidr" is not emulated...`, for lints. */
export function describeProblem(problem: PatternProblem): string {
  return problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`;
}
