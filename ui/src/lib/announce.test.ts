import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ANNOUNCE_EVERY_MS, Throttle, progressText } from './announce';
import { setLocale } from './i18n/index.svelte';

const counts = (c: Partial<Record<'pending' | 'sending' | 'sent' | 'failed' | 'skipped' | 'unknown', number>>) => ({
  pending: 0,
  sending: 0,
  sent: 0,
  failed: 0,
  skipped: 0,
  unknown: 0,
  ...c,
});

describe('progressText', () => {
  beforeEach(() => setLocale('en'));

  it('says the counts of a send, its end, and any other status', () => {
    expect(progressText('running', counts({ sent: 1200, pending: 3790, sending: 10, skipped: 40 }))).toBe('Sending: 1,200 of 5,000 sent, 0 failed');
    expect(progressText('completed', counts({ sent: 4990, failed: 10, skipped: 40 }))).toBe('Campaign completed: 4,990 sent, 10 failed');
    expect(progressText('paused', counts({ sent: 10, failed: 10, pending: 80 }))).toBe('Campaign paused: 10 of 100 sent, 10 failed');
  });

  it('speaks French too', () => {
    setLocale('fr');
    expect(progressText('running', counts({ sent: 2, pending: 3 }))).toBe('Envoi en cours : 2 envoyés sur 5, 0 en échec');
    expect(progressText('cancelled', counts({ sent: 2, skipped: 3 }))).toBe('Campagne annulée : 2 envoyés sur 2, 0 en échec');
    setLocale('en');
  });
});

describe('Throttle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says the first text at once, then at most one every few seconds (the latest), and a new status at once', () => {
    const said: string[] = [];
    const throttle = new Throttle((s) => said.push(s));
    throttle.push('1 sent', 'running');
    expect(said).toEqual(['1 sent']);
    // Many progress messages within the interval: nothing more yet.
    for (let i = 2; i <= 50; i++) throttle.push(`${i} sent`, 'running');
    expect(said).toEqual(['1 sent']);
    vi.advanceTimersByTime(ANNOUNCE_EVERY_MS - 1);
    expect(said).toEqual(['1 sent']);
    vi.advanceTimersByTime(1);
    expect(said).toEqual(['1 sent', '50 sent']);
    // The same text again is not said again.
    throttle.push('50 sent', 'running');
    expect(said).toEqual(['1 sent', '50 sent']);
    // A status change is said at once, and drops what waited.
    throttle.push('51 sent', 'running');
    expect(said).toEqual(['1 sent', '50 sent']);
    throttle.push('completed: 60 sent', 'completed');
    expect(said).toEqual(['1 sent', '50 sent', 'completed: 60 sent']);
    vi.advanceTimersByTime(ANNOUNCE_EVERY_MS * 2);
    expect(said).toEqual(['1 sent', '50 sent', 'completed: 60 sent']);
  });

  it('says nothing more once cancelled', () => {
    const said: string[] = [];
    const throttle = new Throttle((s) => said.push(s), 1000);
    throttle.push('a');
    throttle.push('b');
    throttle.cancel();
    vi.advanceTimersByTime(5000);
    expect(said).toEqual(['a']);
  });
});
