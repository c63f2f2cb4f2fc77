import { describe, expect, it } from 'vitest';
import {
  decodeHeaders,
  decodeKey,
  decodeValue,
  isCredentialName,
  maskCredentials,
  masked,
  maskText,
} from './decode.ts';

describe('isCredentialName', () => {
  it.each([
    'password',
    'dbPassword',
    'x-auth-token',
    'API_KEY',
    'apiKey',
    'client_secret',
    'salt',
    'sha256',
    'Cookie',
  ])('takes %s for a credential', (name) => {
    expect(isCredentialName(name)).toBe(true);
  });

  it.each(['username', 'email', 'uuid', 'batch-id', 'author', 'outbox-id'])('leaves %s alone', (name) => {
    expect(isCredentialName(name)).toBe(false);
  });
});

describe('maskCredentials', () => {
  it('masks credential fields at any depth, in arrays too, and leaves the rest as it was', () => {
    const user = {
      login: {
        uuid: 'u1',
        username: 'ana',
        password: 'hunter2',
        salt: 's',
        md5: 'm',
        sha1: 'a',
        sha256: 'b',
      },
      friends: [{ name: 'b', token: 't' }],
      age: 3,
      note: null,
    };

    const shown = maskCredentials(user);

    expect(shown).toEqual({
      login: {
        uuid: 'u1',
        username: 'ana',
        password: masked,
        salt: masked,
        md5: masked,
        sha1: masked,
        sha256: masked,
      },
      friends: [{ name: 'b', token: masked }],
      age: 3,
      note: null,
    });
    expect(user.login.password).toBe('hunter2');
  });

  it('keeps dates and null credentials as they are', () => {
    const at = new Date(0);

    expect(maskCredentials({ at, password: null })).toEqual({ at, password: null });
  });
});

describe('maskText', () => {
  it.each([
    ['password=hunter2&user=ana', `password=${masked}&user=ana`],
    ['{"token": "abc", "id": 1}', `{"token": ${masked}, "id": 1}`],
    ['client_secret: s3cr3t, next', `client_secret: ${masked}, next`],
    ['nothing to hide here', 'nothing to hide here'],
  ])('masks %s', (text, shown) => {
    expect(maskText(text)).toBe(shown);
  });
});

describe('decodeValue', () => {
  it('shows JSON parsed, with credentials masked', () => {
    const value = Buffer.from(JSON.stringify({ id: 'u1', user: { login: { password: 'p' } } }));

    expect(decodeValue(value)).toEqual({
      kind: 'json',
      json: { id: 'u1', user: { login: { password: masked } } },
    });
  });

  it('shows valid UTF-8 that is not JSON as text, masked', () => {
    expect(decodeValue(Buffer.from('not json: password=x'))).toEqual({
      kind: 'text',
      text: `not json: password=${masked}`,
    });
  });

  it('shows a bare number as text, not JSON', () => {
    expect(decodeValue(Buffer.from('42'))).toEqual({ kind: 'text', text: '42' });
  });

  it('shows invalid UTF-8 as bytes: base64 and a printable preview', () => {
    const bytes = Buffer.from([0xff, 0x41, 0x00, 0x42]);

    expect(decodeValue(bytes)).toEqual({ kind: 'bytes', base64: bytes.toString('base64'), preview: '.A.B' });
  });

  it('shows no value as null', () => {
    expect(decodeValue(null)).toEqual({ kind: 'null' });
  });
});

describe('decodeKey and decodeHeaders', () => {
  it('shows a UTF-8 key as text, any other as base64', () => {
    expect(decodeKey(Buffer.from('u1'))).toBe('u1');
    expect(decodeKey(Buffer.from([0xff]))).toBe('base64:/w==');
    expect(decodeKey(null)).toBeNull();
  });

  it('decodes headers as UTF-8 and masks credential-like ones', () => {
    const headers = {
      'batch-id': Buffer.from('b1'),
      authorization: Buffer.from('Bearer x'),
      multi: [Buffer.from('a'), 'b'],
    };

    expect(decodeHeaders(headers)).toEqual({ 'batch-id': 'b1', authorization: masked, multi: 'a, b' });
  });
});
