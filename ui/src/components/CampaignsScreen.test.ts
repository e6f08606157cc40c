import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import CampaignsScreen from './CampaignsScreen.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { setView } from '../lib/app.svelte';
import { resetWizard, Step } from '../lib/wizard.svelte';
import { defaultSettings, templateState, appError, said } from '../test/fixtures';
import type { AudienceSummary, Member, Template } from '../lib/api';

const template = (name: string, body: string): Template => ({
  name,
  integrations: ['wa1'],
  category: 'UTILITY',
  language: 'en_US',
  header: { kind: 'none', text: '', url: '' },
  body,
  footer: '',
  buttons: [],
});

import { EXCLUSION_REASONS as REASONS } from '../lib/bindings';

/** Zendesk's own words for a bad query, as the core passes them on. */
const refused = said('zendesk.search_refused', { provider: 'Invalid search: "someday" is not a date.' });

/** A fake core with one audience of four users: two reachable, one without a phone, one
 * blacked out once a message is checked. */
function fakeCore(fetched: Partial<AudienceSummary> = {}) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  const members: Member[] = [
    { user_id: '1', name: 'Ann Lee', email: 'ann@example.com', phone_raw: '+33612345678', phone: '+33612345678', phone_source: 'field', reason: null, detail: null, overridden: false, phone_kind: 'mobile', phone_extension: null, phone_problem: null, consent_note: null },
    { user_id: '2', name: 'Bob Ray', email: 'bob@example.com', phone_raw: '+33612345679', phone: '+33612345679', phone_source: 'field', reason: null, detail: null, overridden: false, phone_kind: null, phone_extension: null, phone_problem: null, consent_note: null },
    { user_id: '3', name: 'Cy Moe', email: null, phone_raw: null, phone: null, phone_source: null, reason: 'no_phone', detail: null, overridden: false, phone_kind: null, phone_extension: null, phone_problem: null, consent_note: null },
    { user_id: '4', name: 'Di Fox', email: null, phone_raw: '+33612345670', phone: '+33612345670', phone_source: 'field', reason: null, detail: null, overridden: false, phone_kind: null, phone_extension: null, phone_problem: null, consent_note: null },
  ];
  let message = false;
  const summary = (): AudienceSummary => ({
    id: 'aud1',
    query: 'role:end-user',
    status: 'complete',
    users: members.length,
    pages: 1,
    eligible: members.filter((m) => m.reason === null).length,
    excluded: REASONS.map((reason) => ({ reason, count: members.filter((m) => m.reason === reason).length })),
    overrides: members.filter((m) => m.overridden).length,
    error: null,
    created_at: '1',
    message_checked: message,
    segments: 0,
    expected: null,
    unreadable: 0,
    include_fixed_lines: false,
    languages: [],
  });
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    switch (cmd) {
      case 'template_library':
        return {
          local: [
            { draft: { id: 't1', template: template('in_review', 'Hello'), created_at: '1', updated_at: '1' }, states: [templateState('wa1', 'WhatsApp Support', 'whatsapp', 'PENDING')] },
            { draft: { id: 't2', template: template('renewal', 'Hi {{Ann}}, your {{Gold}} plan renews.'), created_at: '1', updated_at: '1' }, states: [templateState('wa1', 'WhatsApp Support', 'whatsapp', 'APPROVED')] },
          ],
          remote: [],
          syncs: [],
        };
      case 'user_fields':
      case 'audience_fields':
        return [
          { key: 'first_name', title: 'First name', kind: 'text', system: true },
          { key: 'plan', title: 'Plan', kind: 'dropdown', system: false },
        ];
      case 'audience_count':
        if (String(args.query).includes('someday')) {
          throw appError('invalid_input', refused, { query: refused });
        }
        return 4;
      case 'audience_sample':
        if (String(args.query).includes('someday')) throw appError('invalid_input', refused, { query: refused });
        return [{ user_id: '1', name: 'Ann Lee', email: 'ann@example.com', phone_raw: '+33612345678', phone: '+33612345678' }];
      case 'fetch_audience':
        return { ...summary(), ...fetched };
      case 'set_audience_channel':
        return { ...summary(), ...fetched };
      case 'consent_note':
        return null;
      case 'audience_members': {
        const f = args.filter as { kind: string; reason?: string };
        const rows = members.filter((m) => (f.kind === 'all' ? true : f.kind === 'eligible' ? m.reason === null : m.reason === f.reason));
        return { total: rows.length, rows: rows.slice(Number(args.offset), Number(args.offset) + Number(args.limit)) };
      }
      case 'set_members':
        for (const id of args.userIds as string[]) {
          const m = members.find((x) => x.user_id === id);
          if (m && args.action === 'remove') m.reason = 'removed';
        }
        return summary();
      case 'audience_message':
        return null;
      case 'template_slots':
        return [
          { component: 'body', position: 1, example: 'Ann', first: 0 },
          { component: 'body', position: 2, example: 'Gold', first: 1 },
        ];
      case 'check_audience': {
        message = args.message !== null;
        const blackout = members.find((m) => m.user_id === '4');
        if (blackout) blackout.reason = message ? 'blackout' : null;
        return summary();
      }
      case 'preview_recipient':
        return {
          user_id: args.userId,
          name: 'Bob Ray',
          values: ['Bob', 'Gold'],
          segments: 0,
          problem: null,
          reason: null,
          preview: {
            whatsapp: { header_kind: 'none', header_text: '', header_url: '', body_html: 'Hi Bob, your Gold plan renews.', body_text: '', footer: '', buttons: [] },
            sms: { text: '', info: { encoding: 'GSM-7', segments: 1, characters: 0, unicode_scalars: 0, message_bits: 0, total_bits: 0, non_gsm: [] } },
          },
        };
      default:
        throw `unknown command ${cmd}`;
    }
  });
  return calls;
}

describe('campaign wizard, steps 1 to 4', () => {
  it('chooses an approved template, refuses a bad query with Zendesk\'s words, fetches, removes someone, maps and previews', async () => {
    setLocale('en');
    resetWizard();
    const settings = defaultSettings({ first_run_done: true, language: 'en' });
    setView({ settings, secrets: { zendesk_api_token: true, sunshine_key_secret: true }, configured: true, team_policy: null });
    const calls = fakeCore();
    render(CampaignsScreen);
    const user = userEvent.setup();

    // 1. The template in review cannot be chosen; the approved one can, with its integration.
    const inReview = (await screen.findByText('in_review')).closest('label')?.querySelector('input') as HTMLInputElement;
    expect(inReview.disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement).disabled).toBe(true);
    await user.click(screen.getByText('renewal'));
    await waitFor(() => expect((document.querySelector('[data-integration-choice=wa1]') as HTMLInputElement).checked).toBe(true));
    await user.click(screen.getByRole('button', { name: 'Next' }));

    // 2. A bad query: Zendesk's description, and no fetch. A good one: count and sample.
    const query = await screen.findByLabelText('Zendesk user search');
    await user.clear(query);
    await user.type(query, 'created>someday');
    await waitFor(() => expect(screen.getByTestId('audience-count').textContent).toContain('"someday" is not a date'));
    expect(query.getAttribute('aria-invalid')).toBe('true');
    expect((document.querySelector('[data-action=fetch-audience]') as HTMLButtonElement).disabled).toBe(true);
    await user.clear(query);
    await user.type(query, 'role:end-user');
    await waitFor(() => expect(screen.getByTestId('audience-count').textContent).toContain('4 users match'));
    await screen.findByTestId('audience-sample');
    await user.click(screen.getByRole('button', { name: 'Fetch the audience' }));

    // 3. Counts by reason; a reason lists its users; removing one updates the counts.
    await waitFor(() => expect(screen.getByTestId('eligible-count').textContent).toBe('3'));
    expect(document.querySelector('[data-count=no_phone]')?.textContent).toBe('1');
    await user.click(document.querySelector('[data-filter-reason=no_phone]') as HTMLElement);
    await waitFor(() => expect(document.querySelector('[data-user="3"]')).toBeTruthy());
    expect(calls.some((c) => c.cmd === 'audience_members' && (c.args.filter as { reason?: string }).reason === 'no_phone')).toBe(true);
    await user.click(document.querySelector('[data-filter-reason=eligible]') as HTMLElement);
    await waitFor(() => expect(document.querySelector('[data-user="1"]')).toBeTruthy());
    await user.click(screen.getByLabelText('Select Ann Lee'));
    await user.click(document.querySelector('[data-member-action=remove]') as HTMLElement);
    await waitFor(() => expect(document.querySelector('[data-count=removed]')?.textContent).toBe('1'));
    expect(screen.getByTestId('eligible-count').textContent).toBe('2');
    expect(calls.find((c) => c.cmd === 'set_members')?.args).toEqual({ audienceId: 'aud1', userIds: ['1'], action: 'remove' });

    // 4. Map both values: the audience is checked with the message (blackout appears) and a
    //    recipient's message is previewed.
    await user.click(document.querySelector(`[data-step="${Step.Mapping}"]`) as HTMLElement);
    const first = (await waitFor(() => document.querySelector('[data-source-for=Ann]'))) as HTMLSelectElement;
    await user.selectOptions(first, 'field:first_name');
    await user.selectOptions(document.querySelector('[data-source-for=Gold]') as HTMLSelectElement, 'static');
    await user.type(document.querySelector('[data-static-for=Gold]') as HTMLInputElement, 'Gold');
    await waitFor(() => expect(screen.getByTestId('ready-count').textContent).toContain('1 recipients'), { timeout: 3000 });
    const check = calls.filter((c) => c.cmd === 'check_audience').pop();
    expect(check?.args.message).toEqual({
      template_id: 't2',
      integration_id: 'wa1',
      mapping: [
        { source: { kind: 'field', key: 'first_name', date_format: '' }, fallback: '' },
        { source: { kind: 'static', value: 'Gold' }, fallback: '' },
      ],
      // One translation: one language, no value per language, and no language control shown.
      language: 'one',
      language_values: [],
    });
    expect(document.getElementById('campaign-language')).toBeNull();
    await waitFor(() => expect(screen.getByTestId('whatsapp-bubble').textContent).toContain('Hi Bob'));
    expect(screen.getByText(/blackout \(same message lately\): 1/)).toBeTruthy();
  });

  it('says when the export returned fewer users than Zendesk counted, with both figures', async () => {
    setLocale('en');
    resetWizard();
    const settings = defaultSettings({ first_run_done: true, language: 'en' });
    setView({ settings, secrets: { zendesk_api_token: true, sunshine_key_secret: true }, configured: true, team_policy: null });
    fakeCore({ status: 'incomplete', expected: 1048, unreadable: 2 });
    render(CampaignsScreen);
    const user = userEvent.setup();
    await user.click(await screen.findByText('renewal'));
    await user.click(screen.getByRole('button', { name: 'Next' }));
    const query = await screen.findByLabelText('Zendesk user search');
    await user.clear(query);
    await user.type(query, 'role:end-user');
    await waitFor(() => expect(screen.getByTestId('audience-count').textContent).toContain('4 users match'));
    await user.click(screen.getByRole('button', { name: 'Fetch the audience' }));
    const warning = await screen.findByTestId('audience-incomplete');
    expect(warning.textContent).toContain('1,048');
    expect(warning.textContent).toContain('returned 4');
    expect(screen.getByTestId('audience-unreadable').textContent).toContain('2 of the results');
  });
});
