/**
 * Conformance of the event-pattern matcher with aws/event-ruler, operator by operator: each row is a pattern,
 * an event, and whether AWS matches it. Most rows restate examples and rules from event-ruler's README and its
 * JSON rule compiler; the sample event is the README's own.
 */
import { describe, expect, it } from 'vitest';
import { compilePattern, describeProblem } from './event-pattern.ts';

/** event-ruler's README sample event. */
const sample = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

/** Whether `pattern` matches `event`, failing the test when the pattern does not compile cleanly. */
function matches(pattern: unknown, event: unknown): boolean {
  const compiled = compilePattern(pattern);
  expect(compiled.problems).toEqual([]);
  return compiled.matches(event);
}

/** `detail.<field>` = `value` in the sample event. */
function withDetail(field: string, value: unknown) {
  return { ...sample, detail: { ...sample.detail, [field]: value } };
}

type Row = [string, unknown, unknown, boolean];

function table(rows: Row[]) {
  it.each(rows)('%s', (_what, pattern, event, expected) => {
    expect(matches(pattern, event)).toBe(expected);
  });
}

describe('exact values', () => {
  table([
    [
      'matches the README simple rule',
      {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
        detail: { state: ['initializing', 'running'] },
      },
      sample,
      true,
    ],
    ['any value of the list', { detail: { state: ['initializing', 'running'] } }, sample, true],
    ['no value of the list', { detail: { state: ['stopped'] } }, sample, false],
    ['every field must match', { source: ['aws.ec2'], detail: { state: ['stopped'] } }, sample, false],
    ['a number by value', { detail: { 'x-limit': [3.018e2] } }, sample, true],
    ['a number never matches its text', { detail: { 'c-count': ['5'] } }, sample, false],
    ['a string never matches a number', { detail: { n: [5] } }, withDetail('n', '5'), false],
    ['true', { detail: { ok: [true] } }, withDetail('ok', true), true],
    ['true is not the string "true"', { detail: { ok: [true] } }, withDetail('ok', 'true'), false],
    ['null', { detail: { v: [null] } }, withDetail('v', null), true],
    ['null is not an absent field', { detail: { v: [null] } }, sample, false],
    ['the empty string', { detail: { v: [''] } }, withDetail('v', ''), true],
    ['a missing field', { detail: { missing: ['x'] } }, sample, false],
    ['exactly', { source: [{ exactly: 'aws.ec2' }] }, sample, true],
    ['exactly, not a prefix', { source: [{ exactly: 'aws' }] }, sample, false],
  ]);
});

describe('arrays in the event', () => {
  table([
    ['any element of an array', { resources: [{ prefix: 'arn:aws:ec2' }] }, sample, true],
    ['no element of an array', { detail: { tags: ['c'] } }, withDetail('tags', ['a', 'b']), false],
    ['an element of a nested array', { detail: { tags: ['c'] } }, withDetail('tags', [['a'], ['c']]), true],
    ['an empty array has no value', { detail: { tags: ['a'] } }, withDetail('tags', []), false],
    [
      'an object element with the field',
      { detail: { employees: { firstName: ['Anna'] } } },
      withDetail('employees', [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
      ]),
      true,
    ],
    [
      'two fields of one element',
      { detail: { employees: { firstName: ['Anna'], lastName: ['Smith'] } } },
      withDetail('employees', [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
      ]),
      true,
    ],
    [
      'never two fields of two elements (array consistency)',
      { detail: { employees: { firstName: ['Anna'], lastName: ['Jones'] } } },
      withDetail('employees', [
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ]),
      false,
    ],
  ]);
});

describe('nested fields', () => {
  table([
    [
      'a nested field',
      { detail: { location: { country: ['NL'] } } },
      withDetail('location', { country: 'NL' }),
      true,
    ],
    [
      'another value',
      { detail: { location: { country: ['NL'] } } },
      withDetail('location', { country: 'BE' }),
      false,
    ],
    [
      'a leaf where an object is asked',
      { detail: { location: { country: ['NL'] } } },
      withDetail('location', 'NL'),
      false,
    ],
    [
      'an object where a leaf is asked',
      { detail: { location: ['NL'] } },
      withDetail('location', { c: 'NL' }),
      false,
    ],
  ]);
});

describe('prefix', () => {
  table([
    ['a prefix', { time: [{ prefix: '2017-10-02' }] }, sample, true],
    ['another prefix', { time: [{ prefix: '2018' }] }, sample, false],
    ['strings only', { detail: { 'c-count': [{ prefix: '5' }] } }, sample, false],
    ['the empty prefix matches every string', { source: [{ prefix: '' }] }, sample, true],
    ['equals-ignore-case', { source: [{ prefix: { 'equals-ignore-case': 'AWS.' } }] }, sample, true],
    [
      'equals-ignore-case, other prefix',
      { source: [{ prefix: { 'equals-ignore-case': 'EC2' } }] },
      sample,
      false,
    ],
  ]);
});

describe('suffix', () => {
  table([
    ['a suffix', { source: [{ suffix: 'ec2' }] }, sample, true],
    ['another suffix', { source: [{ suffix: 's3' }] }, sample, false],
    ['case matters', { source: [{ suffix: 'EC2' }] }, sample, false],
    ['strings only', { detail: { 'c-count': [{ suffix: '5' }] } }, sample, false],
    ['equals-ignore-case', { source: [{ suffix: { 'equals-ignore-case': 'EC2' } }] }, sample, true],
    [
      'equals-ignore-case, other suffix',
      { source: [{ suffix: { 'equals-ignore-case': 'S3' } }] },
      sample,
      false,
    ],
  ]);
});

describe('equals-ignore-case', () => {
  table([
    ['any case', { source: [{ 'equals-ignore-case': 'AWS.EC2' }] }, sample, true],
    ['the whole value', { source: [{ 'equals-ignore-case': 'EC2' }] }, sample, false],
    ['strings only', { detail: { ok: [{ 'equals-ignore-case': 'true' }] } }, withDetail('ok', true), false],
  ]);
});

describe('wildcard', () => {
  table([
    ['a star in the middle', { 'detail-type': [{ wildcard: 'EC2*Notification' }] }, sample, true],
    ['several stars', { detail: { f: [{ wildcard: 'a*c*e' }] } }, withDetail('f', 'abcde'), true],
    ['a star matches nothing too', { detail: { f: [{ wildcard: 'ab*' }] } }, withDetail('f', 'ab'), true],
    [
      'anchored at both ends',
      { detail: { f: [{ wildcard: '*.png' }] } },
      withDetail('f', 'a.png.bak'),
      false,
    ],
    ['other characters literally', { detail: { f: [{ wildcard: 'a.c' }] } }, withDetail('f', 'abc'), false],
    ['an escaped star is a star', { detail: { f: [{ wildcard: 'a\\*c' }] } }, withDetail('f', 'a*c'), true],
    [
      'an escaped star is not a wildcard',
      { detail: { f: [{ wildcard: 'a\\*c' }] } },
      withDetail('f', 'abc'),
      false,
    ],
    ['an escaped backslash', { detail: { f: [{ wildcard: 'a\\\\b' }] } }, withDetail('f', 'a\\b'), true],
    ['strings only', { detail: { 'c-count': [{ wildcard: '*' }] } }, sample, false],
  ]);
});

describe('anything-but', () => {
  table([
    ['a string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, sample, true],
    ['the excluded string', { detail: { state: [{ 'anything-but': 'running' }] } }, sample, false],
    ['a number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, sample, true],
    ['the excluded number', { detail: { 'x-limit': [{ 'anything-but': 301.8 }] } }, sample, false],
    [
      'a list of strings',
      { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      sample,
      true,
    ],
    [
      'a list that excludes it',
      { detail: { state: [{ 'anything-but': ['stopped', 'running'] }] } },
      sample,
      false,
    ],
    ['a list of numbers', { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, sample, true],
    ['a value of another type', { detail: { 'c-count': [{ 'anything-but': 'x' }] } }, sample, true],
    ['a number is not its text', { detail: { 'c-count': [{ 'anything-but': '5' }] } }, sample, true],
    ['never an absent field', { detail: { missing: [{ 'anything-but': 'x' }] } }, sample, false],
    [
      'an array with one value not excluded',
      { detail: { t: [{ 'anything-but': 'a' }] } },
      withDetail('t', ['a', 'b']),
      true,
    ],
    [
      'an array with every value excluded',
      { detail: { t: [{ 'anything-but': 'a' }] } },
      withDetail('t', ['a', 'a']),
      false,
    ],
    ['a prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, sample, true],
    ['the excluded prefix', { detail: { state: [{ 'anything-but': { prefix: 'run' } }] } }, sample, false],
    [
      'a prefix list',
      { detail: { state: [{ 'anything-but': { prefix: ['init', 'run'] } }] } },
      sample,
      false,
    ],
    ['a suffix', { detail: { 'instance-id': [{ 'anything-but': { suffix: '1234' } }] } }, sample, true],
    [
      'the excluded suffix',
      { detail: { 'instance-id': [{ 'anything-but': { suffix: '000' } }] } },
      sample,
      false,
    ],
    [
      'a suffix list',
      { detail: { 'instance-id': [{ 'anything-but': { suffix: ['1', '0'] } }] } },
      sample,
      false,
    ],
    [
      'ignore case',
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'Stopped' } }] } },
      sample,
      true,
    ],
    [
      'ignore case, excluded',
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'RUNNING' } }] } },
      sample,
      false,
    ],
    [
      'ignore case list',
      { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'Running'] } }] } },
      sample,
      false,
    ],
    ['a wildcard', { detail: { state: [{ 'anything-but': { wildcard: '*/bin/*.jar' } }] } }, sample, true],
    [
      'the excluded wildcard',
      { detail: { state: [{ 'anything-but': { wildcard: 'r*g' } }] } },
      sample,
      false,
    ],
    [
      'a wildcard list',
      { detail: { state: [{ 'anything-but': { wildcard: ['x*', 'r*'] } }] } },
      sample,
      false,
    ],
    [
      'a prefix never excludes a number',
      { detail: { 'c-count': [{ 'anything-but': { prefix: '5' } }] } },
      sample,
      true,
    ],
  ]);
});

describe('numeric', () => {
  table([
    ['a range', { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, sample, true],
    ['outside a range', { detail: { 'c-count': [{ numeric: ['>', 5, '<=', 10] }] } }, sample, false],
    ['<', { detail: { 'd-count': [{ numeric: ['<', 10] }] } }, sample, true],
    ['< at the bound', { detail: { 'd-count': [{ numeric: ['<', 3] }] } }, sample, false],
    ['<= at the bound', { detail: { 'd-count': [{ numeric: ['<=', 3] }] } }, sample, true],
    ['> at the bound', { detail: { 'd-count': [{ numeric: ['>', 3] }] } }, sample, false],
    ['>= at the bound', { detail: { 'd-count': [{ numeric: ['>=', 3] }] } }, sample, true],
    ['=', { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, sample, true],
    ['= another number', { detail: { 'x-limit': [{ numeric: ['=', 301] }] } }, sample, false],
    [
      '>= and < range, lower bound',
      { detail: { n: [{ numeric: ['>=', 18, '<', 65] }] } },
      withDetail('n', 18),
      true,
    ],
    [
      '>= and < range, upper bound',
      { detail: { n: [{ numeric: ['>=', 18, '<', 65] }] } },
      withDetail('n', 65),
      false,
    ],
    ['numbers only', { detail: { n: [{ numeric: ['>', 0] }] } }, withDetail('n', '30'), false],
  ]);
});

describe('exists', () => {
  table([
    ['true, present', { detail: { 'c-count': [{ exists: true }] } }, sample, true],
    ['true, absent', { detail: { missing: [{ exists: true }] } }, sample, false],
    ['true, null is a value', { detail: { v: [{ exists: true }] } }, withDetail('v', null), true],
    ['false, absent', { detail: { missing: [{ exists: false }] } }, sample, true],
    ['false, present', { detail: { 'c-count': [{ exists: false }] } }, sample, false],
    [
      'false on a field that is not a leaf',
      { detail: { 'c-count': [{ exists: false }] } },
      withDetail('c-count', { c1: 100 }),
      true,
    ],
    [
      'true on a field that is not a leaf',
      { detail: { 'c-count': [{ exists: true }] } },
      withDetail('c-count', { c1: 100 }),
      false,
    ],
    [
      'false under a missing parent',
      { detail: { location: { country: [{ exists: false }] } } },
      sample,
      true,
    ],
    ['false beside an exact value', { detail: { v: [{ exists: false }, 'x'] } }, withDetail('v', 'x'), true],
  ]);
});

describe('$or', () => {
  const cloudwatch = { source: 'aws.cloudwatch', metricName: 'ReadLatency', namespace: 'AWS/RDS' };
  table([
    [
      'one branch matches',
      {
        source: ['aws.cloudwatch'],
        $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2'] }],
      },
      cloudwatch,
      true,
    ],
    [
      'no branch matches',
      { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] },
      cloudwatch,
      false,
    ],
    [
      'a branch with an and inside',
      { $or: [{ metricName: ['x'] }, { metricName: ['ReadLatency'], namespace: ['AWS/RDS'] }] },
      cloudwatch,
      true,
    ],
    [
      'the fields beside it must match too',
      { source: ['aws.ec2'], $or: [{ metricName: ['ReadLatency'] }, { namespace: ['AWS/RDS'] }] },
      cloudwatch,
      false,
    ],
    [
      'nested $or',
      {
        $or: [
          { metricName: ['x'] },
          { namespace: ['AWS/RDS'], $or: [{ metricId: [1] }, { metricName: ['ReadLatency'] }] },
        ],
      },
      cloudwatch,
      true,
    ],
    [
      'inside a nested object',
      { detail: { $or: [{ state: ['stopped'] }, { 'c-count': [{ numeric: ['>', 4] }] }] } },
      sample,
      true,
    ],
  ]);
});

describe('patterns AWS refuses, and operators not emulated', () => {
  it.each([
    ['not an object', 'source', 'a pattern must be an object'],
    ['an empty pattern', {}, 'empty objects are not allowed'],
    ['a value that is not a list', { source: 'aws.ec2' }, 'source: must be an object or an array'],
    ['an empty list', { source: [] }, 'source: empty arrays are not allowed'],
    ['an unknown operator', { source: [{ regex: 'a.*' }] }, 'source[0]: unrecognized operator "regex"'],
    ['two operators in one object', { source: [{ prefix: 'a', suffix: 'b' }] }, 'exactly one operator'],
    ['a prefix that is not a string', { source: [{ prefix: 5 }] }, 'prefix match pattern must be a string'],
    ['consecutive stars', { source: [{ wildcard: 'a**b' }] }, 'consecutive wildcard characters'],
    ['a bad escape', { source: [{ wildcard: 'a\\b' }] }, 'invalid escape character'],
    ['a mixed anything-but list', { n: [{ 'anything-but': ['a', 1] }] }, 'only strings or only numbers'],
    [
      'an empty anything-but prefix',
      { n: [{ 'anything-but': { prefix: '' } }] },
      'empty anything-but prefix',
    ],
    ['an unknown numeric operator', { n: [{ numeric: ['!=', 3] }] }, 'unrecognized numeric operator "!="'],
    ['a range starting with <', { n: [{ numeric: ['<', 5, '>', 1] }] }, 'cannot start a numeric range'],
    ['an empty range', { n: [{ numeric: ['>', 5, '<', 1] }] }, 'below its top'],
    ['exists that is not a boolean', { n: [{ exists: 'yes' }] }, 'exists must be true or false'],
    ['$or with one branch', { $or: [{ a: ['x'] }] }, '$or needs at least 2 patterns'],
    ['$or that is not a list', { $or: { a: ['x'] } }, '$or must be an array'],
    ['a reserved field name in $or', { $or: [{ numeric: ['x'] }, { a: ['y'] }] }, 'reserved word'],
    ['cidr, which is not emulated', { ip: [{ cidr: '10.0.0.0/24' }] }, 'operator "cidr" is not emulated'],
  ])('%s', (_what, pattern, message) => {
    const compiled = compilePattern(pattern);

    expect(compiled.problems.map(describeProblem).join('; ')).toContain(message);
    expect(compiled.matches(sample)).toBe(false);
  });

  it('tells an operator that is not emulated from a pattern AWS refuses', () => {
    expect(compilePattern({ ip: [{ cidr: '10.0.0.0/24' }] }).problems).toEqual([
      {
        kind: 'unsupported',
        path: 'ip[0]',
        message: 'operator "cidr" is not emulated and never matches locally',
      },
    ]);
    expect(compilePattern({ ip: [{ regex: 'x' }] }).problems[0]?.kind).toBe('invalid');
  });
});
