/**
 * The user generator: a pure function of (seed, page, index, nationality and gender filters). Each user has
 * its own random stream, so user i of a page is the same whatever `results` is, and `inc`/`exc` only hide
 * fields, they never change the values.
 */
import { createHash } from 'node:crypto';
import {
  type Gender,
  NAT_DATA,
  type Nationality,
  PASSWORDS,
  TIMEZONES,
  USERNAME_ADJECTIVES,
  USERNAME_ANIMALS,
} from './data.ts';
import {
  FIELDS,
  type Field,
  type GenerateOptions,
  type NormalizedOptions,
  normalizeOptions,
} from './params.ts';
import { deriveUser, fillPattern } from './prng.ts';

export const API_VERSION = '1.4';

export interface RandomUser {
  gender: Gender;
  name: { title: string; first: string; last: string };
  location: {
    street: { number: number; name: string };
    city: string;
    state: string;
    country: string;
    postcode: number | string;
    coordinates: { latitude: string; longitude: string };
    timezone: { offset: string; description: string };
  };
  email: string;
  login: {
    uuid: string;
    username: string;
    password: string;
    salt: string;
    md5: string;
    sha1: string;
    sha256: string;
  };
  dob: { date: string; age: number };
  registered: { date: string; age: number };
  phone: string;
  cell: string;
  id: { name: string; value: string | null };
  picture: { large: string; medium: string; thumbnail: string };
  nat: Nationality;
}

/** A user as served: every field may be missing because of `inc`/`exc`. */
export type ServedUser = Partial<RandomUser>;

export interface Info {
  seed: string;
  results: number;
  page: number;
  version: typeof API_VERSION;
}

export interface RandomUserResponse {
  results: ServedUser[];
  info?: Info;
}

const DAY_MS = 86_400_000;
const DOB_RANGE = { from: Date.UTC(1944, 0, 1), to: Date.UTC(2002, 11, 31) };
const REGISTERED_RANGE = { from: Date.UTC(2002, 5, 1), to: Date.UTC(2022, 11, 31) };

const PERSIAN_LATIN: Record<string, string> = {
  ا: '',
  ب: 'b',
  پ: 'p',
  ت: 't',
  ث: 's',
  ج: 'j',
  چ: 'ch',
  ح: 'h',
  خ: 'kh',
  د: 'd',
  ذ: 'z',
  ر: 'r',
  ز: 'z',
  ژ: 'zh',
  س: 's',
  ش: 'sh',
  ص: 's',
  ض: 'd',
  ط: 't',
  ظ: 'z',
  ع: 'aa',
  غ: 'gh',
  ف: 'f',
  ق: 'gh',
  ک: 'k',
  ك: 'k',
  گ: 'g',
  ل: 'l',
  م: 'm',
  ن: 'n',
  و: 'w',
  ه: 'h',
  ی: 'y',
  ي: 'y',
  ة: 'h',
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  ı: 'i',
  đ: 'd',
  ł: 'l',
};

/** The ASCII local-part upstream derives from a name: diacritics stripped, Persian transliterated, no spaces. */
export function emailPart(name: string): string {
  const lower = name.normalize('NFD').toLowerCase();
  let out = '';
  if (!/[^ -~]/.test(lower)) out = lower.replace(/[^a-z0-9-]/g, '');
  else {
    for (const ch of lower) {
      const mapped = PERSIAN_LATIN[ch];
      if (mapped !== undefined) out += mapped;
      else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch === '-') out += ch;
    }
  }
  return out === '' ? 'user' : out;
}

/** Whole years from `from` to `now`, in UTC. */
export function ageAt(from: Date, now: number): number {
  const to = new Date(now);
  let age = to.getUTCFullYear() - from.getUTCFullYear();
  const months = to.getUTCMonth() - from.getUTCMonth();
  if (months < 0 || (months === 0 && to.getUTCDate() < from.getUTCDate())) age--;
  return Math.max(0, age);
}

function hexDigest(algorithm: 'md5' | 'sha1' | 'sha256', text: string): string {
  return createHash(algorithm).update(text).digest('hex');
}

/** One complete user; `index` is its 0-based position in the page. */
export function generateUser(options: NormalizedOptions, index: number): RandomUser {
  // The filters are part of the identity so that e.g. `nat=US` and `nat=GB` with one seed never share a
  // login.uuid (the pipeline keys users on it); `inc`/`exc`/`results` are not, as they do not change a user.
  const key = JSON.stringify([
    options.seed,
    options.page,
    index,
    options.natFiltered ? options.nat.join(',') : '*',
    options.gender ?? '*',
  ]);
  const { uuid, rng } = deriveUser(key);
  const nat = rng.pick(options.nat);
  const data = NAT_DATA[nat];
  const gender: Gender = options.gender ?? (rng.next() < 0.5 ? 'male' : 'female');
  const title = rng.pick(data.titles[gender]);
  const first = rng.pick(data.first[gender]);
  const last = rng.pick(data.last);
  const streetNumber = rng.int(1, 9999);
  const streetName = rng.pick(data.streets);
  const city = rng.pick(data.cities);
  const state = rng.pick(data.states);
  const postcodeText = fillPattern(rng, rng.pick(data.postcode.patterns));
  const latitude = (rng.next() * 180 - 90).toFixed(4);
  const longitude = (rng.next() * 360 - 180).toFixed(4);
  const timezone = rng.pick(TIMEZONES);
  const username = `${rng.pick(USERNAME_ADJECTIVES)}${rng.pick(USERNAME_ANIMALS)}${rng.int(100, 999)}`;
  const password = rng.pick(PASSWORDS);
  const salt = fillPattern(rng, '********');
  const dob = new Date(randomTime(rng, DOB_RANGE));
  const registered = new Date(randomTime(rng, REGISTERED_RANGE));
  const phone = fillPattern(rng, rng.pick(data.phone));
  const cell = fillPattern(rng, rng.pick(data.cell));
  const idValue = data.idValue ? data.idValue({ rng, gender, dob, last }) : null;
  const portrait = `${gender === 'male' ? 'men' : 'women'}/${rng.int(0, 99)}.jpg`;
  return {
    gender,
    name: { title, first, last },
    location: {
      street: { number: streetNumber, name: streetName },
      city,
      state,
      country: data.country,
      postcode: data.postcode.type === 'number' ? Number(postcodeText) : postcodeText,
      coordinates: { latitude, longitude },
      timezone: { offset: timezone.offset, description: timezone.description },
    },
    email: `${emailPart(first)}.${emailPart(last)}@example.com`,
    login: {
      uuid,
      username,
      password,
      salt,
      md5: hexDigest('md5', password + salt),
      sha1: hexDigest('sha1', password + salt),
      sha256: hexDigest('sha256', password + salt),
    },
    dob: { date: dob.toISOString(), age: ageAt(dob, options.now) },
    registered: { date: registered.toISOString(), age: ageAt(registered, options.now) },
    phone,
    cell,
    id: { name: data.idName, value: idValue },
    picture: {
      large: `https://randomuser.me/api/portraits/${portrait}`,
      medium: `https://randomuser.me/api/portraits/med/${portrait}`,
      thumbnail: `https://randomuser.me/api/portraits/thumb/${portrait}`,
    },
    nat,
  };
}

function randomTime(
  rng: { int(min: number, max: number): number },
  range: { from: number; to: number },
): number {
  // Days and milliseconds are drawn apart: one 32-bit draw over decades would leave the milliseconds coarse.
  const days = Math.floor((range.to - range.from) / DAY_MS);
  return range.from + rng.int(0, days) * DAY_MS + rng.int(0, DAY_MS - 1);
}

function pickFields(user: RandomUser, fields: readonly Field[]): ServedUser {
  if (fields.length === FIELDS.length) return user;
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field] = user[field];
  return out as ServedUser;
}

/**
 * Generates one page of users in upstream's response shape. Deterministic: the same seed, page, filters and
 * `now` always give byte-identical output (without `now`, the ages follow the clock).
 */
export function generateUsers(options: GenerateOptions = {}): RandomUserResponse {
  const normalized = normalizeOptions(options);
  const results: ServedUser[] = new Array(normalized.results);
  for (let i = 0; i < normalized.results; i++)
    results[i] = pickFields(generateUser(normalized, i), normalized.fields);
  if (normalized.noinfo) return { results };
  return {
    results,
    info: { seed: normalized.seed, results: normalized.results, page: normalized.page, version: API_VERSION },
  };
}
