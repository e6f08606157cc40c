import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushSync } from 'svelte';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import StepReview from './StepReview.svelte';
import CampaignView from './CampaignView.svelte';
import { setLocale } from '../../lib/i18n/index.svelte';
import { resetWizard, Step, wizard } from '../../lib/wizard.svelte';
import { campaigns, finals, live } from '../../lib/runs.svelte';
import type { AudienceSummary, CampaignStatus, CampaignSummary, StateCounts } from '../../lib/api';
import { appError, defaultSettings, said } from '../../test/fixtures';

const preview = (quiet: string | null, at: string, quietNow: number) => ({
  quiet_hours: quiet,
  workspace_zone: 'Europe/Paris',
  start_at: at,
  recipients: 1200,
  zones: { user: 1000, phone: 150, workspace: 50 },
  quiet_at_start: { user: quietNow, phone: 0, workspace: 0 },
  estimated_end: String(Number(at) + 36_000_000),
});

const audience: AudienceSummary = {
  id: 'aud1',
  query: 'role:end-user',
  status: 'complete',
  users: 1300,
  pages: 2,
  eligible: 1200,
  excluded: [{ reason: 'no_phone', count: 100 }],
  overrides: 0,
  error: null,
  created_at: '1',
  message_checked: true,
  expected: null,
  unreadable: 0,
  include_fixed_lines: false,
  segments: 2400,
  languages: [],
};

function campaign(status: CampaignStatus, counts: Partial<StateCounts>, test = false): CampaignSummary {
  const c = { pending: 0, sending: 0, sent: 0, failed: 0, skipped: 0, unknown: 0, ...counts };
  // What the core judges may be done (`CampaignSummary::judged`), for this fake.
  const open = status === 'ready' || status === 'paused';
  return {
    id: test ? 'test1' : 'c1',
    template_id: 't1',
    template_name: 'renewal',
    language: 'en_US',
    integration_id: 'tw1',
    kind: 'twilio',
    query: 'role:end-user',
    rate: 40,
    auto_pause_after: 10,
    test,
    status,
    pause_reason: null,
    counts: c,
    segments: 2400,
    created_at: '1',
    started_at: null,
    finished_at: null,
    running: false,
    runner_host: null,
    interrupted: false,
    desktop_only: false,
    team_syncing: false,
    can: {
      resume: open && c.pending + c.sending > 0,
      cancel: open,
      retry_failed: c.failed > 0,
      resend_unknown: c.unknown > 0,
      start: false,
      reschedule: false,
    },
    quiet_hours: null,
    waiting: 0,
    next_at: null,
    waits_for: null,
    scheduled_at: null,
    scheduled_counts: null,
  };
}

describe('review and send', () => {
  it('shows counts, duration and segments; refuses a bad test number; sends a test, a dry run, then the campaign after a confirmation', async () => {
    setLocale('en');
    resetWizard();
    Object.assign(wizard, { step: Step.Review, templateId: 't1', integrationId: 'tw1', audience, mapping: [] });
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      switch (cmd) {
        case 'list_integrations':
          return [{ id: 'tw1', kind: 'twilio', channel: 'sms', name: 'Twilio SMS', sender: '', status: 'active', rate: 20 }];
        case 'template_library':
          return { local: [{ draft: { id: 't1', template: { name: 'renewal' }, created_at: '1', updated_at: '1' }, states: [] }], remote: [], syncs: [] };
        case 'get_settings':
          return { settings: defaultSettings(), secrets: {}, configured: true };
        case 'timing_preview':
          return preview(null, String(Date.now()), 0);
        case 'send_test':
          if (args.phone === 'nope') {
            const problem = said('phone.typed_invalid', { value: 'nope', problem: said('phone.problem.contains_letters') });
            throw appError('invalid_input', problem, { phone: problem });
          }
          return campaign('completed', { sent: 1 }, true);
        case 'dry_run':
          return { path: '/home/me/Downloads/relay-renewal-dry-run.csv', rows: 1200 };
        case 'create_campaign':
          return campaign('ready', { pending: 1200, skipped: 100 });
        case 'run_campaign':
          return campaign('completed', { sent: 1200, skipped: 100 });
        default:
          throw `unknown command ${cmd}`;
      }
    });
    render(StepReview);
    const user = userEvent.setup();

    await waitFor(() => expect(screen.getByTestId('review-template').textContent).toBe('renewal'));
    expect(screen.getByTestId('review-count').textContent).toBe('1,200');
    expect(screen.getByTestId('review-segments').textContent).toBe('2,400');
    // The integration's own rate: 1,200 messages at 20/s.
    await waitFor(() => expect(screen.getByTestId('review-duration').textContent).toBe('1 min 00 s'));
    const rate = screen.getByLabelText('Rate');
    await user.clear(rate);
    await user.type(rate, '2000');
    expect(screen.getByText('Between 1 and 1,000.')).toBeTruthy();
    expect((document.querySelector('[data-action=send]') as HTMLButtonElement).disabled).toBe(true);
    await user.clear(rate);
    await user.type(rate, '40');
    expect(screen.getByTestId('review-duration').textContent).toBe('30 s');

    // A test: a bad number is refused with the reason; a good one is sent.
    const phone = screen.getByLabelText('Phone number for the test');
    await user.type(phone, 'nope');
    await user.click(screen.getByRole('button', { name: 'Send test' }));
    await waitFor(() => expect(screen.getByTestId('test-error').textContent).toContain('it contains letters'));
    await user.clear(phone);
    await user.type(phone, '+447400123456');
    await user.click(screen.getByRole('button', { name: 'Send test' }));
    await waitFor(() => expect(screen.getByTestId('test-result').textContent).toContain('Test sent'));

    await user.click(screen.getByRole('button', { name: 'Write the messages to CSV' }));
    await waitFor(() => expect(screen.getByTestId('dry-run-result').textContent).toContain('1,200 messages written to /home/me/Downloads/relay-renewal-dry-run.csv'));
    expect(calls.some((c) => c.cmd === 'create_campaign')).toBe(false);

    // Send: nothing happens before the confirmation, which says how many.
    await user.click(screen.getByRole('button', { name: 'Send to 1,200 recipients' }));
    expect(screen.getByRole('alertdialog').textContent).toContain('Send 1,200 messages now? It takes about 30 s.');
    expect(calls.some((c) => c.cmd === 'create_campaign')).toBe(false);
    await user.click(screen.getByRole('button', { name: 'Yes, send' }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'run_campaign' && c.args.id === 'c1')).toBe(true));
    const created = calls.find((c) => c.cmd === 'create_campaign');
    expect(created?.args).toMatchObject({ audienceId: 'aud1', rate: 40, message: { template_id: 't1', integration_id: 'tw1' } });
    expect(campaigns.view).toEqual({ kind: 'campaign', id: 'c1' });
    expect(wizard.audience).toBeNull();
  });
});

describe('the send confirmation', () => {
  it('is a modal dialog: focus on its safe choice, Tab kept inside, Escape closes it and Send has the focus again', async () => {
    setLocale('en');
    resetWizard();
    Object.assign(wizard, { step: Step.Review, templateId: 't1', integrationId: 'tw1', audience, mapping: [] });
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      switch (cmd) {
        case 'list_integrations':
          return [{ id: 'tw1', kind: 'twilio', channel: 'sms', name: 'Twilio SMS', sender: '', status: 'active', rate: 20 }];
        case 'template_library':
          return { local: [{ draft: { id: 't1', template: { name: 'renewal' }, created_at: '1', updated_at: '1' }, states: [] }], remote: [], syncs: [] };
        case 'get_settings':
          return { settings: defaultSettings(), secrets: {}, configured: true };
        case 'timing_preview':
          return preview(null, String(Date.now()), 0);
        default:
          throw `unknown command ${cmd}`;
      }
    });
    render(StepReview);
    const user = userEvent.setup();
    const send = await screen.findByRole('button', { name: 'Send to 1,200 recipients' });
    await waitFor(() => expect((send as HTMLButtonElement).disabled).toBe(false));
    send.focus();
    await user.keyboard('{Enter}');

    const dialog = screen.getByRole('alertdialog');
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.getElementById(dialog.getAttribute('aria-labelledby') ?? '')?.textContent).toContain('Send 1,200 messages now?');
    // The safe choice first (Back), then Tab goes round the two buttons only.
    expect(document.activeElement?.getAttribute('data-action')).toBe('cancel-send');
    await user.tab();
    expect(document.activeElement?.getAttribute('data-action')).toBe('confirm-send');
    await user.tab();
    expect(document.activeElement?.getAttribute('data-action')).toBe('cancel-send');
    await user.tab({ shift: true });
    expect(document.activeElement?.getAttribute('data-action')).toBe('confirm-send');

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(send));
    expect(calls).not.toContain('create_campaign');
  });
});

describe('languages', () => {
  it('lists the recipients per language, those who get the default and why, and their SMS segments; sends each one\'s language', async () => {
    setLocale('en');
    resetWizard();
    Object.assign(wizard, {
      step: Step.Review,
      templateId: 'en1',
      integrationId: 'tw1',
      mapping: [],
      language: 'each',
      translations: [{ id: 'en1', language: 'en_US' }, { id: 'fr1', language: 'fr' }],
      audience: {
        ...audience,
        languages: [
          { language: 'en_US', recipients: 800, matched: 700, default: 80, not_approved: 20, segments: 1600 },
          { language: 'fr', recipients: 400, matched: 400, default: 0, not_approved: 0, segments: 800 },
        ],
      },
    });
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    mockIPC((cmd, payload) => {
      calls.push({ cmd, args: (payload ?? {}) as Record<string, unknown> });
      switch (cmd) {
        case 'list_integrations':
          return [{ id: 'tw1', kind: 'twilio', channel: 'sms', name: 'Twilio SMS', sender: '', status: 'active', rate: 20 }];
        case 'template_library':
          return { local: [{ draft: { id: 'en1', template: { name: 'renewal' }, created_at: '1', updated_at: '1' }, states: [] }], remote: [], syncs: [] };
        case 'consent_note':
          return said('consent.applied', { rule: 'tag:sms_ok' });
        case 'timing_preview':
          return preview(null, String(Date.now()), 0);
        case 'dry_run':
          return { path: '/tmp/dry.csv', rows: 1200 };
        default:
          throw `unknown command ${cmd}`;
      }
    });
    render(StepReview);
    const user = userEvent.setup();
    const card = await screen.findByTestId('review-languages');
    expect(screen.getByTestId('review-language').textContent).toBe('Each recipient’s (default en_US)');
    const en = card.querySelector('[data-language=en_US]') as HTMLElement;
    expect(en.querySelector('[data-count=recipients]')?.textContent).toBe('800 recipients');
    expect(en.querySelector('[data-count=default]')?.textContent).toBe('80 with no translation of theirs (default)');
    expect(en.querySelector('[data-count=not_approved]')?.textContent).toBe('20 whose translation isn’t approved (default)');
    expect(en.querySelector('[data-count=segments]')?.textContent).toBe('1,600 SMS segments');
    // Nobody in French got it as a default: those lines are not shown.
    const fr = card.querySelector('[data-language=fr]') as HTMLElement;
    expect(fr.querySelector('[data-count=recipients]')?.textContent).toBe('400 recipients');
    expect(fr.querySelector('[data-count=default]')).toBeNull();
    expect(fr.querySelector('[data-count=not_approved]')).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Write the messages to CSV' }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'dry_run')).toBe(true));
    expect(calls.find((c) => c.cmd === 'dry_run')?.args.message).toMatchObject({ template_id: 'en1', language: 'each', language_values: [] });
  });

  it('shows no languages card for a template in one language', async () => {
    setLocale('en');
    resetWizard();
    Object.assign(wizard, { step: Step.Review, templateId: 't1', integrationId: 'tw1', mapping: [], audience: { ...audience, languages: [{ language: 'en_US', recipients: 1200, matched: 0, default: 0, not_approved: 0, segments: 2400 }] } });
    mockIPC((cmd) => {
      switch (cmd) {
        case 'list_integrations':
          return [{ id: 'tw1', kind: 'twilio', channel: 'sms', name: 'Twilio SMS', sender: '', status: 'active', rate: 20 }];
        case 'template_library':
          return { local: [{ draft: { id: 't1', template: { name: 'renewal' }, created_at: '1', updated_at: '1' }, states: [] }], remote: [], syncs: [] };
        case 'consent_note':
          return said('consent.applied', { rule: 'tag:sms_ok' });
        case 'timing_preview':
          return preview(null, String(Date.now()), 0);
        default:
          throw `unknown command ${cmd}`;
      }
    });
    render(StepReview);
    await waitFor(() => expect(screen.getByTestId('review-template').textContent).toBe('renewal'));
    expect(screen.queryByTestId('review-languages')).toBeNull();
    expect(screen.queryByTestId('review-language')).toBeNull();
  });
});

describe('timing', () => {
  it('schedules with quiet hours: the window, the time in UTC, who is in quiet hours then, and nothing sent now', async () => {
    setLocale('en');
    resetWizard();
    campaigns.view = { kind: 'new' };
    Object.assign(wizard, { step: Step.Review, templateId: 't1', integrationId: 'wa1', audience, mapping: [] });
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      const timing = args.timing as { quiet_hours: string | null; at: string | null } | undefined;
      switch (cmd) {
        case 'list_integrations':
          return [{ id: 'wa1', kind: 'whatsapp', channel: 'whatsapp', name: 'WhatsApp', sender: '', status: 'active', rate: 20 }];
        case 'template_library':
          return { local: [{ draft: { id: 't1', template: { name: 'renewal' }, created_at: '1', updated_at: '1' }, states: [] }], remote: [], syncs: [] };
        case 'get_settings':
          return { settings: defaultSettings({ quiet_hours: '21:00-08:00' }), secrets: {}, configured: true };
        case 'timing_preview':
          if (timing?.quiet_hours === '9pm') throw appError('invalid_input', said('timing.quiet_format', { value: '9pm' }), { quiet_hours: said('timing.quiet_format', { value: '9pm' }) });
          return preview(timing?.quiet_hours === 'off' ? null : (timing?.quiet_hours ?? null), timing?.at ?? String(Date.now()), timing?.quiet_hours === 'off' ? 0 : 420);
        case 'create_campaign':
          return { ...campaign('scheduled', { pending: 1200, skipped: 100 }), scheduled_at: timing?.at ?? null, quiet_hours: timing?.quiet_hours ?? null };
        default:
          throw `unknown command ${cmd}`;
      }
    });
    render(StepReview);
    const user = userEvent.setup();
    // The workspace's quiet hours come first; who is in them now, by where their zone came from.
    const quiet = await screen.findByLabelText('Quiet hours');
    await waitFor(() => expect((quiet as HTMLInputElement).value).toBe('21:00-08:00'));
    await waitFor(() => expect(screen.getByTestId('quiet-now').textContent).toBe('420'));
    expect(screen.getByTestId('timing-preview').textContent).toContain('their Zendesk profile 420');
    // A malformed window says what to write, and the send waits for a good one.
    await user.clear(quiet);
    await user.type(quiet, '9pm');
    await waitFor(() => expect(screen.getByTestId('timing-error').textContent).toContain('HH:MM-HH:MM'));
    expect((document.querySelector('[data-action=send]') as HTMLButtonElement).disabled).toBe(true);
    await user.clear(quiet);
    await user.type(quiet, '22:00-07:30');
    await waitFor(() => expect(screen.queryByTestId('timing-error')).toBeNull());
    // Scheduled: the time shown in UTC too; the button and the confirmation say so.
    await user.click(screen.getByLabelText('Schedule'));
    const at = screen.getByTestId('schedule-at') as HTMLInputElement;
    await user.clear(at);
    await user.type(at, '2030-01-15T09:30');
    const ms = new Date('2030-01-15T09:30').getTime();
    await waitFor(() => expect(screen.getByTestId('schedule-utc').textContent).toBe(`${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`));
    await waitFor(() => expect(screen.getByText('In their quiet hours then')).toBeTruthy());
    await user.click(screen.getByRole('button', { name: 'Schedule for 1,200 recipients' }));
    expect(screen.getByRole('alertdialog').textContent).toContain('Schedule 1,200 messages for');
    await user.click(screen.getByRole('button', { name: 'Yes, send' }));
    await waitFor(() => expect(campaigns.view).toEqual({ kind: 'campaign', id: 'c1' }));
    const created = calls.find((c) => c.cmd === 'create_campaign');
    expect(created?.args).toMatchObject({ audienceId: 'aud1', timing: { quiet_hours: '22:00-07:30', at: String(ms) } });
    expect(calls.some((c) => c.cmd === 'run_campaign')).toBe(false);
  });
});

describe('campaign report', () => {
  it('filters by state, exports, retries the failed and asks before re-sending the unknown', async () => {
    setLocale('en');
    finals.clear();
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    let summary = campaign('completed', { sent: 3, failed: 1, unknown: 1, skipped: 1 });
    const rows = [
      { seq: 0, user_id: '1', name: 'Ann Lee', phone: '+33612345678', state: 'sent', reason: null, error: null, notification_id: 'n-1', attempts: 1, updated_at: '1700000000000', language: 'fr' },
      { seq: 1, user_id: '2', name: 'Bob Ray', phone: '+33612345679', state: 'failed', reason: null, error: said('net.refused', { service: 'Sunshine Conversations', status: '400', provider: 'The integration refused the number.' }), notification_id: null, attempts: 1, updated_at: '1700000000000' },
      { seq: 2, user_id: '3', name: 'Cy Moe', phone: null, state: 'skipped', reason: 'no_phone', error: null, notification_id: null, attempts: 0, updated_at: '1700000000000' },
      { seq: 3, user_id: '4', name: 'Di Fox', phone: '+33612345670', state: 'unknown', reason: null, error: said('recipient.maybe_sent', { error: said('net.dropped', { service: 'Sunshine Conversations', detail: 'reset' }) }), notification_id: null, attempts: 1, updated_at: '1700000000000' },
    ];
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      switch (cmd) {
        case 'get_campaign':
          return summary;
        case 'campaign_recipients': {
          const r = rows.filter((x) => args.filter === null || x.state === args.filter);
          return { total: r.length, rows: r };
        }
        case 'export_campaign':
          return { path: '/tmp/report.csv', rows: 4 };
        case 'requeue_recipients':
          summary = campaign('paused', { sent: 3, pending: args.unknownToo ? 2 : 1, skipped: 1, unknown: args.unknownToo ? 0 : 1 });
          return args.unknownToo ? 2 : 1;
        case 'run_campaign':
          summary = campaign('completed', { sent: 4, skipped: 1, unknown: 1 });
          return summary;
        default:
          throw `unknown command ${cmd}`;
      }
    });
    render(CampaignView, { id: 'c1' });
    const user = userEvent.setup();
    await waitFor(() => expect(document.querySelector('[data-status=completed]')).toBeTruthy());
    expect(document.querySelector('[data-count=sent]')?.textContent).toBe('3');
    expect(document.querySelector('[data-count=unknown]')?.textContent).toBe('1');
    await waitFor(() => expect(document.querySelector('[data-user="2"]')?.textContent).toContain('The integration refused the number.'));
    expect(document.querySelector('[data-user="3"]')?.textContent).toContain('no phone number');
    // The language each recipient got, in its own column.
    expect(screen.getByTestId('report-col-language').textContent).toBe('Language');
    expect(document.querySelector('[data-user="1"] [data-col=language]')?.textContent).toBe('fr');
    expect(document.querySelector('[data-user="3"] [data-col=language]')?.textContent).toBe('—');
    expect(document.querySelector('[data-user="1"] [data-language]')?.getAttribute('data-language')).toBe('fr');

    await user.click(document.querySelector('[data-filter=failed]') as HTMLElement);
    await waitFor(() => expect(document.querySelector('[data-user="1"]')).toBeNull());
    expect(document.querySelector('[data-user="2"]')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(screen.getByTestId('export-result').textContent).toContain('4 recipients written to /tmp/report.csv'));

    // The unknown ones: a warning first, and nothing is queued until it is confirmed.
    await user.click(screen.getByRole('button', { name: 'Re-send 1 unknown' }));
    expect(screen.getByRole('alertdialog').textContent).toContain('may have been delivered');
    expect(calls.some((c) => c.cmd === 'requeue_recipients')).toBe(false);
    await user.click(screen.getByRole('button', { name: 'Back' }));

    await user.click(screen.getByRole('button', { name: 'Retry 1 failed' }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'run_campaign')).toBe(true));
    expect(calls.find((c) => c.cmd === 'requeue_recipients')?.args).toEqual({ id: 'c1', unknownToo: false });
    await waitFor(() => expect(document.querySelector('[data-count=sent]')?.textContent).toBe('4'));
  });
});

describe('progress for screen readers', () => {
  afterEach(() => {
    vi.useRealTimers();
    live.clear();
    finals.clear();
  });

  it('says the counts politely, at most every few seconds, and a change of status at once', async () => {
    setLocale('en');
    finals.clear();
    const counts = (c: Partial<StateCounts>) => ({ pending: 0, sending: 0, sent: 0, failed: 0, skipped: 0, unknown: 0, ...c });
    const progress = (c: Partial<StateCounts>) => ({ campaign_id: 'c1', counts: counts(c), rate: 40, eta_secs: 100, status: 'running' as const, provider_wait_secs: null });
    live.set('c1', progress({ pending: 5000 }));
    mockIPC((cmd) => {
      switch (cmd) {
        case 'get_campaign':
          return { ...campaign('running', { pending: 5000 }), running: true };
        case 'campaign_recipients':
          return { total: 0, rows: [] };
        default:
          throw `unknown command ${cmd}`;
      }
    });
    render(CampaignView, { id: 'c1' });
    const region = await screen.findByTestId('progress-announcer');
    expect(region.getAttribute('role')).toBe('status');
    expect(region.getAttribute('aria-live')).toBe('polite');
    expect(region.classList.contains('visually-hidden')).toBe(true);
    expect(region.textContent).toBe('Sending: 0 of 5,000 sent, 0 failed');

    // Progress many times a second: the region waits.
    vi.useFakeTimers();
    for (let sent = 100; sent <= 1200; sent += 100) {
      live.set('c1', progress({ sent, pending: 5000 - sent }));
      flushSync();
    }
    expect(region.textContent).toBe('Sending: 0 of 5,000 sent, 0 failed');
    // Not every tick: the latest, a few seconds on.
    vi.advanceTimersByTime(5000);
    flushSync();
    expect(region.textContent).toBe('Sending: 1,200 of 5,000 sent, 0 failed');
    // The visible counts follow every message meanwhile.
    expect(document.querySelector('[data-count=sent]')?.textContent).toBe('1,200');

    // The end: said at once.
    live.set('c1', progress({ sent: 1300, pending: 3700 }));
    flushSync();
    live.delete('c1');
    finals.set('c1', campaign('completed', { sent: 4990, failed: 10 }));
    flushSync();
    expect(region.textContent).toBe('Campaign completed: 4,990 sent, 10 failed');
  });
});
