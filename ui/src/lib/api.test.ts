import { describe, expect, it } from 'vitest';
import { api, RelayError, toRelayError } from './api';
import { fakeBackend } from '../test/fixtures';

describe('api', () => {
  it('turns an AppError payload into a RelayError with its code and fields', () => {
    const e = toRelayError({
      code: 'invalid_input',
      message: 'blackout_days: must be between 0 and 365',
      details: { fields: { blackout_days: 'must be between 0 and 365' } },
    });
    expect(e).toBeInstanceOf(RelayError);
    expect(e.code).toBe('invalid_input');
    expect(e.fields).toEqual({ blackout_days: 'must be between 0 and 365' });
  });

  it('maps framework strings and unknown codes to internal', () => {
    expect(toRelayError('Command foo not allowed by ACL').code).toBe('internal');
    expect(toRelayError({ code: 'made_up', message: 'x' }).code).toBe('internal');
    expect(toRelayError(new Error('boom')).message).toBe('boom');
  });

  it('calls the generated commands and rethrows their errors as RelayError', async () => {
    const backend = fakeBackend();
    await api.setSecret('zendesk_api_token', 'tok');
    expect(backend.calls.at(-1)).toEqual({ cmd: 'set_secret', args: { kind: 'zendesk_api_token', value: 'tok' } });
    await expect(api.setSunshineToken('bad')).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
