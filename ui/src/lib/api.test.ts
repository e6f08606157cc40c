import { describe, expect, it } from 'vitest';
import { api, RelayError, toRelayError } from './api';
import { setLocale } from './i18n/index.svelte';
import { fakeBackend } from '../test/fixtures';

describe('api', () => {
  it('turns an AppError payload into a RelayError with its code and fields', () => {
    const problem = { key: 'settings.blackout_days', params: { max: '365' } };
    const e = toRelayError({
      code: 'invalid_input',
      message: 'blackout_days: Choose between 0 (no blackout) and 365 days.',
      text: problem,
      details: { fields: { blackout_days: problem } },
    });
    expect(e).toBeInstanceOf(RelayError);
    expect(e.code).toBe('invalid_input');
    expect(e.fields).toEqual({ blackout_days: 'Choose between 0 (no blackout) and 365 days.' });
    expect(e.message).toBe('Choose between 0 (no blackout) and 365 days.');
  });

  it('says the error in the window’s language, nested texts included', () => {
    setLocale('fr');
    try {
      const e = toRelayError({
        code: 'rejected',
        message: 'Syncing the templates of WA: …',
        text: { key: 'template.sync_failed', params: { integration: 'WA', error: { key: 'zendesk.search_refused', params: { provider: 'bad' } } } },
      });
      expect(e.message).toBe('Synchronisation des modèles de WA : Zendesk a refusé la recherche : bad');
    } finally {
      setLocale('en');
    }
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
