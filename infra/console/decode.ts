/**
 * How the console shows bytes and records, pure: a Kafka value decoded for display (JSON, UTF-8 text or
 * bytes), and credential-like fields masked in everything it shows, whatever their depth, even when they
 * slipped into a record or a row that should not hold them (randomuser sends passwords and their hashes).
 */
import type { DecodedValue } from './api.ts';

/** What a masked value is replaced with. */
export const masked = '••••••';

// Compared with the key lower-cased and stripped of everything but letters and digits, so `api_key`,
// `apiKey` and `API-KEY` are one name. Parts, not whole words: `dbPassword` and `x-auth-token` are caught too.
const credentialParts = [
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'credential',
  'authorization',
  'cookie',
  'session',
  'signature',
  'salt',
  'md5',
  'sha1',
  'sha256',
  'sha512',
];

/** Whether a field or header of this name may hold a credential (a password, a secret, a token, a hash). */
export function isCredentialName(name: string): boolean {
  const key = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return credentialParts.some((part) => key.includes(part));
}

/**
 * A copy of `value` with every field whose name {@link isCredentialName} replaced by {@link masked}, at any
 * depth of objects and arrays. Other values are returned as they are.
 */
export function maskCredentials(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskCredentials);
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      isCredentialName(key) && field !== null && field !== undefined ? masked : maskCredentials(field),
    ]),
  );
}

// `password=...`, `"token": "..."`, `secret: ...` in free text (a log message, a header, a text value).
const credentialInText =
  /((?:[a-z0-9]*(?:password|passwd|secret|token|apikey|api_key|credential|authorization)[a-z0-9_-]*)["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&}]+)/gi;

/** `text` with the value of every `name=value` or `name: value` whose name looks like a credential masked. */
export function maskText(text: string): string {
  return text.replace(credentialInText, (_, lead: string) => `${lead}${masked}`);
}

/** Headers as strings (UTF-8), with the values of credential-like names masked. */
export function decodeHeaders(
  headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    if (raw === undefined) continue;
    const text = (Array.isArray(raw) ? raw : [raw]).map((v) => v.toString()).join(', ');
    out[name] = isCredentialName(name) ? masked : maskText(text);
  }
  return out;
}

const previewBytes = 256;

/**
 * A record value as the page shows it: JSON (parsed, credentials masked) when it parses, text when it is valid
 * UTF-8, otherwise bytes (base64, and a preview with unprintable bytes as `.`); `null` for no value.
 */
export function decodeValue(bytes: Buffer | null | undefined): DecodedValue {
  if (bytes === null || bytes === undefined) return { kind: 'null' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return {
      kind: 'bytes',
      base64: bytes.toString('base64'),
      preview: [...bytes.subarray(0, previewBytes)]
        .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'))
        .join(''),
    };
  }
  const json = parseJson(text);
  if (json.ok) return { kind: 'json', json: maskCredentials(json.value) };
  return { kind: 'text', text: maskText(text) };
}

/** A key as text: UTF-8 when it is, else base64 with a `base64:` prefix; null for none. */
export function decodeKey(bytes: Buffer | null | undefined): string | null {
  if (bytes === null || bytes === undefined) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return `base64:${bytes.toString('base64')}`;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  // Only objects, arrays and strings in quotes count as JSON to show formatted: `42` or `true` as a value is
  // more honestly text.
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[' && first !== '"') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}
