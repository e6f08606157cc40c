import { describe, expect, it } from 'vitest';
import { actions, reasonLabel, shownStatus } from './report';
import { CAMPAIGN_TONE, STATE_TONE } from './labels';
import { doneShare, duration, estimate } from './runs.svelte';
import type { CampaignRecipient, CampaignSummary } from './api';

const base: CampaignSummary = {
  id: 'c',
  template_id: 't',
  template_name: 'n',
  language: 'en_US',
  integration_id: 'i',
  kind: 'whatsapp',
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
  interrupted: false,
  desktop_only: false,
  team_syncing: false,
  // What the core says may be done (it computes it: `CampaignSummary::judged`).
  can: { resume: true, cancel: true, retry_failed: true, resend_unknown: true, start: false, reschedule: false },
  quiet_hours: null,
  waiting: 0,
  next_at: null,
  waits_for: null,
  scheduled_at: null,
  scheduled_counts: null,
};

describe('report rules', () => {
  it('offers what the core allows, and nothing but cancel to the window that sends it', () => {
    const none = { start: false, reschedule: false };
    expect(actions(base, false)).toEqual({ resume: true, cancel: true, retry: true, resendUnknown: true, ...none });
    expect(actions(base, true)).toEqual({ resume: false, cancel: true, retry: false, resendUnknown: false, ...none });
    const elsewhere = {
      ...base,
      running: true,
      status: 'running' as const,
      can: { resume: false, cancel: false, retry_failed: false, resend_unknown: false, ...none },
    };
    expect(actions(elsewhere, false)).toEqual({ resume: false, cancel: false, retry: false, resendUnknown: false, ...none });
    // Scheduled: sent now or moved, from the window that does not send it.
    const scheduled = { ...base, status: 'scheduled' as const, can: { ...base.can, resume: false, start: true, reschedule: true } };
    expect(actions(scheduled, false)).toMatchObject({ start: true, reschedule: true, resume: false });
    expect(actions(scheduled, true)).toMatchObject({ start: false, reschedule: false });
  });

  it('shows an interrupted campaign as such', () => {
    expect(shownStatus({ ...base, status: 'running', interrupted: true })).toBe('interrupted');
    expect(shownStatus(base)).toBe('paused');
  });

  it('names states and reasons', () => {
    expect(STATE_TONE.sent).toBe('ok');
    expect(STATE_TONE.unknown).toBe('warn');
    expect(CAMPAIGN_TONE.cancelled).toBe('bad');
    const t = (k: string) => `[${k}]`;
    const r: CampaignRecipient = { seq: 1, user_id: '1', name: 'A', phone: null, state: 'skipped', reason: null, cancelled: true, error: null, notification_id: null, attempts: 0, updated_at: null, language: null };
    expect(reasonLabel(r, t)).toBe('[report.cancelled]');
    expect(reasonLabel({ ...r, cancelled: false, reason: 'no_phone' }, t)).toBe('[reason.no_phone]');
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
