import { describe, expect, it } from 'vitest';
import { actions, campaignTone, reasonLabel, stateTone } from './report';
import { doneShare, duration, estimate } from './runs.svelte';
import type { CampaignSummary } from './api';

const base: CampaignSummary = {
  id: 'c',
  template_id: 't',
  template_name: 'n',
  language: 'en_US',
  integration_id: 'i',
  channel: 'whatsapp',
  query: 'q',
  rate: 8,
  auto_pause_after: 10,
  test: false,
  status: 'paused',
  pause_reason: null,
  counts: { pending: 5, sending: 0, sent: 3, failed: 2, skipped: 1, unknown: 1 },
  segments: 0,
  created_at: '1',
  started_at: null,
  finished_at: null,
  running: false,
  runner_host: null,
};

describe('report rules', () => {
  it('offers resume, retry and re-send only when nobody is sending the campaign', () => {
    expect(actions(base, false)).toEqual({ resume: true, cancel: true, retry: true, resendUnknown: true });
    expect(actions(base, true)).toEqual({ resume: false, cancel: true, retry: false, resendUnknown: false });
    expect(actions({ ...base, running: true, status: 'running' }, false)).toEqual({ resume: false, cancel: false, retry: false, resendUnknown: false });
    // Interrupted (running, no live runner): resumable.
    expect(actions({ ...base, status: 'running' }, false).resume).toBe(true);
    const done = { ...base, status: 'completed', counts: { ...base.counts, pending: 0 } };
    expect(actions(done, false)).toEqual({ resume: false, cancel: false, retry: true, resendUnknown: true });
  });

  it('names states and reasons', () => {
    expect(stateTone('sent')).toBe('ok');
    expect(stateTone('unknown')).toBe('warn');
    expect(campaignTone('cancelled')).toBe('bad');
    const t = (k: string) => `[${k}]`;
    expect(reasonLabel('cancelled', t)).toBe('[report.cancelled]');
    expect(reasonLabel('no_phone', t)).toBe('[reason.no_phone]');
    expect(reasonLabel('something_new', t)).toBe('something_new');
  });

  it('measures progress and time', () => {
    expect(doneShare(base.counts)).toBeCloseTo(7 / 12);
    expect(doneShare({ pending: 0, sending: 0, sent: 0, failed: 0, skipped: 0, unknown: 0 })).toBe(0);
    expect(duration(12.4)).toBe('12 s');
    expect(duration(200)).toBe('3 min 20 s');
    expect(duration(3900)).toBe('1 h 05 min');
    expect(estimate(300_000, 1000)).toBe(300);
    expect(estimate(10, 0)).toBe(0);
  });
});
