import { describe, expect, it } from 'vitest';
import { REDACTED, toPlain } from '../../src/inspector/serialize';

describe('what the inspector shows and exports', () => {
  it('never carries a password, token or authorization value, at any depth', () => {
    const plain = toPlain({
      type: 'session.login',
      username: 'alice',
      password: 'correct horse',
      input: { mode: 'login', password: 'correct horse' },
      context: { session: { username: 'alice', token: 'abc.def' }, headers: { Authorization: 'Bearer x' } },
    });
    const text = JSON.stringify(plain);
    expect(text).not.toContain('correct horse');
    expect(text).not.toContain('abc.def');
    expect(text).not.toContain('Bearer x');
    expect(plain).toMatchObject({
      username: 'alice',
      password: REDACTED,
      context: { session: { username: 'alice', token: REDACTED } },
    });
  });
});
