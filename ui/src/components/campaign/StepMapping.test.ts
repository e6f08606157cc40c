import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import StepMapping from './StepMapping.svelte';
import { setLocale } from '../../lib/i18n/index.svelte';
import { resetWizard, wizard } from '../../lib/wizard.svelte';
import type { AudienceSummary, MessageSpec, ValueMapping } from '../../lib/api';
import { EXCLUSION_REASONS as REASONS } from '../../lib/bindings';
import { templateState } from '../../test/fixtures';

const audience: AudienceSummary = {
  id: 'aud1',
  query: 'role:end-user',
  status: 'complete',
  users: 2,
  pages: 1,
  expected: 2,
  unreadable: 0,
  include_fixed_lines: false,
  eligible: 2,
  excluded: REASONS.map((reason) => ({ reason, count: 0 })),
  overrides: 0,
  error: null,
  created_at: '1',
  message_checked: false,
  segments: 0,
  languages: [],
};

describe('the mapping step', () => {
  it('maps a name once for every slot of that name', async () => {
    setLocale('en');
    resetWizard();
    wizard.templateId = 't1';
    wizard.integrationId = 'wa1';
    wizard.audience = audience;
    const checked: ValueMapping[][] = [];
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      switch (cmd) {
        case 'template_library':
          return {
            local: [
              {
                draft: { id: 't1', template: { name: 'order', integrations: ['wa1'], category: 'UTILITY', language: 'en_US', header: { kind: 'text', text: 'For {{Clarice}}', url: '' }, body: 'Hi {{Clarice}}, it ships {{Monday}} to you.', footer: '', buttons: [] }, created_at: '1', updated_at: '1' },
                states: [templateState('wa1', 'WhatsApp', 'whatsapp', 'APPROVED')],
              },
            ],
            remote: [],
            syncs: [],
          };
        case 'template_slots':
          return [
            { component: 'header', position: 1, example: 'Clarice', first: 0 },
            { component: 'body', position: 1, example: 'Clarice', first: 0 },
            { component: 'body', position: 2, example: 'Monday', first: 2 },
          ];
        case 'audience_fields':
          return [{ key: 'first_name', title: 'First name', kind: 'text', system: true }];
        case 'audience_message':
          return null;
        case 'check_audience':
          checked.push((args.message as { mapping: ValueMapping[] }).mapping);
          return { ...audience, message_checked: true };
        case 'audience_members':
          return { total: 0, rows: [] };
        default:
          throw `unknown command ${cmd}`;
      }
    });
    render(StepMapping);
    const user = userEvent.setup();
    await screen.findByText('{{Monday}}');
    // One row for Clarice (the header's and the body's), one for Monday.
    expect(document.querySelectorAll('[data-source-for=Clarice]')).toHaveLength(1);
    expect(document.querySelector('[data-slot="1"] legend')?.textContent).toMatch(/header.*message/);
    await user.selectOptions(document.querySelector('[data-source-for=Clarice]') as HTMLSelectElement, 'field:first_name');
    await user.selectOptions(document.querySelector('[data-source-for=Monday]') as HTMLSelectElement, 'static');
    await user.type(document.querySelector('[data-static-for=Monday]') as HTMLInputElement, 'Friday');
    await waitFor(() => expect(checked.length).toBeGreaterThan(0));
    const last = checked[checked.length - 1] as ValueMapping[];
    expect(last).toHaveLength(3);
    expect(last[0]).toEqual(last[1]);
    expect(last[0]?.source).toEqual({ kind: 'field', key: 'first_name', date_format: '' });
  });
});

describe('the mapping step with each recipient\'s language', () => {
  it('gives a static value per language (empty: the default\'s), and previews the language a recipient gets and why', async () => {
    setLocale('en');
    resetWizard();
    Object.assign(wizard, {
      templateId: 'en1',
      integrationId: 'wa1',
      audience,
      language: 'each',
      translations: [{ id: 'en1', language: 'en_US' }, { id: 'fr1', language: 'fr' }, { id: 'de1', language: 'de' }],
    });
    const checked: MessageSpec[] = [];
    const tpl = (language: string, body: string) => ({ name: 'order', integrations: ['wa1'], category: 'UTILITY', language, header: { kind: 'none', text: '', url: '' }, body, footer: '', buttons: [] });
    const states = [templateState('wa1', 'WhatsApp', 'whatsapp', 'APPROVED')];
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      switch (cmd) {
        case 'template_library':
          return {
            local: [
              { draft: { id: 'en1', template: tpl('en_US', 'Hi {{Ann}}, see you {{Friday}}.'), created_at: '1', updated_at: '1' }, states },
              { draft: { id: 'fr1', template: tpl('fr', 'Bonjour {{Ann}}, à {{Friday}}.'), created_at: '2', updated_at: '2' }, states },
              { draft: { id: 'de1', template: tpl('de', 'Hallo {{Ann}}, bis {{Friday}}.'), created_at: '3', updated_at: '3' }, states },
            ],
            remote: [],
            syncs: [],
          };
        case 'template_slots':
          return [
            { component: 'body', position: 1, example: 'Ann', first: 0 },
            { component: 'body', position: 2, example: 'Friday', first: 1 },
          ];
        case 'audience_fields':
          return [{ key: 'first_name', title: 'First name', kind: 'text', system: true }];
        case 'audience_message':
          return null;
        case 'check_audience':
          checked.push(args.message as MessageSpec);
          return { ...audience, message_checked: true };
        case 'audience_members':
          return { total: 1, rows: [{ user_id: '7' }] };
        case 'preview_recipient':
          return {
            user_id: '7',
            name: 'Zoé Martin',
            values: ['Zoé', 'vendredi'],
            language: 'fr',
            matched: 'base',
            segments: 0,
            problem: null,
            reason: null,
            preview: {
              whatsapp: { header_kind: 'none', header_text: '', header_url: '', body_html: 'Bonjour Zoé, à vendredi.', body_text: '', footer: '', buttons: [] },
              sms: { text: '', info: { encoding: 'GSM-7', segments: 1, characters: 0, unicode_scalars: 0, message_bits: 0, total_bits: 0, non_gsm: [] } },
            },
          };
        default:
          throw `unknown command ${cmd}`;
      }
    });
    render(StepMapping);
    const user = userEvent.setup();
    await screen.findByText('{{Friday}}');
    await user.selectOptions(document.querySelector('[data-source-for=Ann]') as HTMLSelectElement, 'field:first_name');
    // A field's value needs no text per language.
    expect(document.querySelector('[data-language-values-for=Ann]')).toBeNull();
    await user.selectOptions(document.querySelector('[data-source-for=Friday]') as HTMLSelectElement, 'static');
    await user.type(document.querySelector('[data-static-for=Friday]') as HTMLInputElement, 'Friday');
    // One input per other translation (not the default's), labelled by its language.
    const fr = screen.getByLabelText('Text in fr') as HTMLInputElement;
    expect([...document.querySelectorAll('[data-language-value-for=Friday]')].map((i) => i.getAttribute('data-language'))).toEqual(['fr', 'de']);
    expect(fr.placeholder).toBe('Friday');
    await user.type(fr, 'vendredi');
    await waitFor(() => expect(checked.at(-1)?.language_values).toEqual([{ language: 'fr', name: 'Friday', value: 'vendredi' }]));
    expect(checked.at(-1)).toMatchObject({ template_id: 'en1', integration_id: 'wa1', language: 'each' });
    // German left empty: German recipients get the default's text, so nothing is sent for it.
    expect(checked.at(-1)?.language_values.some((v) => v.language === 'de')).toBe(false);

    const language = await screen.findByTestId('preview-language');
    expect(language.textContent).toContain('Language: fr');
    expect(language.textContent).toContain('their language');
    expect(screen.getByTestId('whatsapp-bubble').textContent).toContain('à vendredi');
  });
});
