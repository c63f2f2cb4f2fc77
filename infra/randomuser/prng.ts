import { createHash } from 'node:crypto';

/** A seeded pseudo-random source. Every user gets its own, so users never depend on each other. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
}

/**
 * sfc32 (Chris Doty-Humphrey's small fast counter): 128 bits of state, fast, and good enough for test data.
 * The state comes from a SHA-256 digest, so seeds that differ by one character give unrelated streams.
 */
export function sfc32(state: Uint32Array): Rng {
  let a = state[0] ?? 0;
  let b = state[1] ?? 0;
  let c = state[2] ?? 0;
  let d = state[3] ?? 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first outputs of sfc32 still echo the seed; discarding a few is the usual remedy.
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick from an empty list');
      return item;
    },
  };
}

/** Formats 16 bytes as an RFC 4122 version-4 UUID (the version and variant bits are overwritten). */
export function uuidV4FromBytes(bytes: Uint8Array): string {
  if (bytes.length < 16) throw new Error('a UUID needs 16 bytes');
  const b = Uint8Array.from(bytes.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Buffer.from(b).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Derives a user's UUID and random stream from one key: the first 16 bytes of SHA-256(key) give the UUID
 * (122 random bits, so collisions across seeds and pages are negligible), the last 16 seed the stream.
 */
export function deriveUser(key: string): { uuid: string; rng: Rng } {
  const digest = createHash('sha256').update(key).digest();
  const state = new Uint32Array(4);
  for (let i = 0; i < 4; i++) state[i] = digest.readUInt32LE(16 + i * 4);
  return { uuid: uuidV4FromBytes(digest.subarray(0, 16)), rng: sfc32(state) };
}

/**
 * Fills a pattern: `#` any digit, `%` a digit 1-9, `@` an uppercase letter, `*` a letter or digit;
 * anything else is copied.
 */
export function fillPattern(rng: Rng, pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '#') out += String(rng.int(0, 9));
    else if (ch === '%') out += String(rng.int(1, 9));
    else if (ch === '@') out += String.fromCharCode(65 + rng.int(0, 25));
    else if (ch === '*') out += rng.pick(ALNUM);
    else out += ch;
  }
  return out;
}

const ALNUM = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
