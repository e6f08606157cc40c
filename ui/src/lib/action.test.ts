import { describe, expect, it } from 'vitest';
import { Action } from './action.svelte';
import { setLocale } from './i18n/index.svelte';

describe('Action', () => {
  it('is busy while it runs, and gives back the result', async () => {
    const a = new Action();
    let release: (v: number) => void = () => {};
    const running = a.run(() => new Promise<number>((r) => (release = r)));
    expect(a.busy).toBe(true);
    release(7);
    expect(await running).toBe(7);
    expect(a.busy).toBe(false);
    expect(a.error).toBe('');
  });

  it('shows the error in the window’s language and clears it on the next run', async () => {
    const a = new Action();
    setLocale('fr');
    try {
      const failed = await a.run(() => Promise.reject({ code: 'not_found', message: 'There is no campaign c1.', text: { key: 'campaign.not_found', params: { id: 'c1' } } }));
      expect(failed).toBeUndefined();
      expect(a.error).toBe('Il n’existe pas de campagne c1.');
      expect(a.busy).toBe(false);
      await a.run(async () => 1);
      expect(a.error).toBe('');
    } finally {
      setLocale('en');
    }
  });
});
