/**
 * Query-string handling with upstream's lenient rules: a bad value never fails the request, it falls back
 * to the default (results → 1, page → 1, unknown nationalities and field names ignored).
 */
import { randomBytes } from 'node:crypto';
import { limits } from '../../lib/topology.ts';
import { type Gender, NATIONALITIES, type Nationality } from './data.ts';

/** The twelve top-level fields of a user, in the order upstream sends them. */
export const FIELDS = [
  'gender',
  'name',
  'location',
  'email',
  'login',
  'dob',
  'registered',
  'phone',
  'cell',
  'id',
  'picture',
  'nat',
] as const;
export type Field = (typeof FIELDS)[number];

export const MAX_RESULTS = limits.randomuserMaxResults;

/** A list parameter: either comma-separated text, as in the query string, or an array. */
export type ListInput = string | readonly string[] | undefined;

/** Generation request as a caller may phrase it; every value is normalized the way the HTTP API does. */
export interface GenerateOptions {
  /** Any string; without one (or when empty) a random 16-hex-digit seed is made and reported in info. */
  seed?: string | undefined;
  /** Positive integer; anything else becomes 1. */
  page?: number | string | undefined;
  /** Integer 1..5000; anything else becomes 1. */
  results?: number | string | undefined;
  /** Nationality codes, case-insensitive; unknown ones are ignored, and none valid means all. */
  nat?: ListInput;
  /** `male` or `female`; anything else means both. */
  gender?: string | undefined;
  /** Fields to keep; wins over `exc`. Unknown names are ignored; none known means no restriction. */
  inc?: ListInput;
  /** Fields to drop. */
  exc?: ListInput;
  /** Leave out the `info` block. */
  noinfo?: boolean | undefined;
  /** Clock that `dob.age` and `registered.age` are computed against; default now. */
  now?: Date | number | undefined;
}

export interface NormalizedOptions {
  seed: string;
  page: number;
  results: number;
  /** Sorted, deduplicated; every nationality when the request named none (or none valid). */
  nat: Nationality[];
  /** Whether the caller restricted nationalities (part of each user's identity, see generate.ts). */
  natFiltered: boolean;
  gender: Gender | undefined;
  fields: Field[];
  noinfo: boolean;
  now: number;
}

function positiveInt(value: number | string | undefined, max: number): number | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= 1 && value <= max ? value : undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) {
    const n = Number(value);
    return n >= 1 && n <= max ? n : undefined;
  }
  return undefined;
}

function splitList(value: ListInput): string[] {
  if (value === undefined) return [];
  const parts = typeof value === 'string' ? value.split(',') : value;
  return parts.map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
}

/** 1..5000, else 1 (upstream silently serves one user for 0, 5001, "abc" or 2.5). */
export function normalizeResults(value: number | string | undefined): number {
  return positiveInt(value, MAX_RESULTS) ?? 1;
}

export function normalizePage(value: number | string | undefined): number {
  return positiveInt(value, Number.MAX_SAFE_INTEGER) ?? 1;
}

export function normalizeNat(value: ListInput): { nat: Nationality[]; filtered: boolean } {
  const wanted = new Set(splitList(value).map((s) => s.toUpperCase()));
  const nat = NATIONALITIES.filter((n) => wanted.has(n));
  return nat.length > 0 ? { nat, filtered: true } : { nat: [...NATIONALITIES], filtered: false };
}

export function normalizeGender(value: string | undefined): Gender | undefined {
  const g = value?.trim().toLowerCase();
  return g === 'male' || g === 'female' ? g : undefined;
}

/** `inc` wins over `exc` when both are given, as upstream; the result keeps upstream's field order. */
export function normalizeFields(inc: ListInput, exc: ListInput): Field[] {
  const included = new Set(splitList(inc));
  if (FIELDS.some((f) => included.has(f))) return FIELDS.filter((f) => included.has(f));
  const excluded = new Set(splitList(exc));
  return FIELDS.filter((f) => !excluded.has(f));
}

/** A fresh seed in upstream's style: 16 lowercase hex digits. */
export function randomSeed(): string {
  return randomBytes(8).toString('hex');
}

export function normalizeOptions(options: GenerateOptions = {}): NormalizedOptions {
  const { nat, filtered } = normalizeNat(options.nat);
  const now = options.now === undefined ? Date.now() : new Date(options.now).getTime();
  return {
    seed: options.seed === undefined || options.seed === '' ? randomSeed() : options.seed,
    page: normalizePage(options.page),
    results: normalizeResults(options.results),
    nat,
    natFiltered: filtered,
    gender: normalizeGender(options.gender),
    fields: normalizeFields(options.inc, options.exc),
    noinfo: options.noinfo ?? false,
    now,
  };
}

export type ParsedQuery =
  | { ok: true; options: GenerateOptions; pretty: boolean }
  | { ok: false; error: string };

/**
 * Reads the API parameters from a query string. Only `format` can fail: `json` (default) and upstream's
 * `pretty`/`prettyjson` are served, while csv, yaml and xml get a 400 because the pipeline never asks for
 * them. Upstream's `password`, `dl`, `callback` and `lego` are accepted and ignored.
 */
export function parseQuery(query: URLSearchParams): ParsedQuery {
  const format = (query.get('format') ?? 'json').trim().toLowerCase();
  if (format !== 'json' && format !== '' && format !== 'pretty' && format !== 'prettyjson') {
    return { ok: false, error: `format "${format}" is not supported by the local server; use json` };
  }
  const get = (name: string) => query.get(name) ?? undefined;
  // Lists may also be repeated (`nat=us&nat=gb`); they are read as one comma-separated list.
  const list = (name: string) => (query.has(name) ? query.getAll(name).join(',') : undefined);
  return {
    ok: true,
    pretty: format === 'pretty' || format === 'prettyjson',
    options: {
      seed: get('seed'),
      page: get('page'),
      results: get('results'),
      nat: list('nat'),
      gender: get('gender'),
      inc: list('inc'),
      exc: list('exc'),
      noinfo: query.has('noinfo'),
    },
  };
}
