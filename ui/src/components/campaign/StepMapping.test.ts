import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import StepMapping from './StepMapping.svelte';
import { setLocale } from '../../lib/i18n/index.svelte';
import { resetWizard, wizard } from '../../lib/wizard.svelte';
import type { AudienceSummary, ValueMapping } from '../../lib/api';
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
