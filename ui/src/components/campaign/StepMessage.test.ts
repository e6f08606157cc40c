import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import StepMessage from './StepMessage.svelte';
import { setLocale } from '../../lib/i18n/index.svelte';
import { messageSpec, resetWizard, wizard } from '../../lib/wizard.svelte';
import type { Template, TemplateState } from '../../lib/api';
import { templateState } from '../../test/fixtures';

const renewal = (language: string, body: string): Template => ({
  name: 'renewal',
  integrations: ['wa1'],
  category: 'UTILITY',
  language,
  header: { kind: 'none', text: '', url: '' },
  body,
  footer: '',
  buttons: [],
});

function library(frStatus: TemplateState['status']) {
  mockIPC((cmd) => {
    if (cmd === 'template_library') {
      return {
        local: [
          { draft: { id: 'fr1', template: renewal('fr', 'Bonjour {{Ann}}'), created_at: '20', updated_at: '20' }, states: [templateState('wa1', 'WhatsApp Support', 'whatsapp', frStatus)] },
          { draft: { id: 'en1', template: renewal('en_US', 'Hello {{Ann}}'), created_at: '10', updated_at: '10' }, states: [templateState('wa1', 'WhatsApp Support', 'whatsapp', 'APPROVED')] },
          { draft: { id: 'one', template: { ...renewal('en_US', 'Hi'), name: 'single' }, created_at: '5', updated_at: '5' }, states: [templateState('wa1', 'WhatsApp Support', 'whatsapp', 'APPROVED')] },
        ],
        remote: [],
        syncs: [],
      };
    }
    throw `unknown command ${cmd}`;
  });
}

describe('the message step with translations', () => {
  it('offers each recipient\'s language by default, a default language, or one language for everyone', async () => {
    setLocale('en');
    resetWizard();
    library('PENDING');
    render(StepMessage);
    const user = userEvent.setup();
    // One choice per template, its translations' statuses listed under it.
    const option = (await screen.findByText('renewal')).closest('label') as HTMLElement;
    expect(document.querySelectorAll('[data-template-option=renewal]')).toHaveLength(1);
    expect(option.querySelector('[data-translation=fr]')?.textContent).toContain('WhatsApp Support: in review');
    await user.click(screen.getByText('renewal'));

    const choice = (await screen.findByLabelText('Which translation each recipient gets')) as HTMLSelectElement;
    expect(choice.id).toBe('campaign-language');
    expect(choice.value).toBe('each');
    expect((screen.getByLabelText('Default language') as HTMLSelectElement).value).toBe('en_US');
    await waitFor(() => expect((document.querySelector('[data-integration-choice=wa1]') as HTMLInputElement).checked).toBe(true));
    expect(messageSpec()).toMatchObject({ template_id: 'en1', integration_id: 'wa1', language: 'each', language_values: [] });
    expect(wizard.translations).toEqual([{ id: 'en1', language: 'en_US' }, { id: 'fr1', language: 'fr' }]);

    // French for everyone: fr is in review, so the integration cannot be used for it.
    await user.selectOptions(choice, 'one');
    await user.selectOptions(screen.getByLabelText('Language for everyone'), 'fr');
    expect(messageSpec()).toBeNull();
    expect(wizard.templateId).toBe('fr1');
    expect((document.querySelector('[data-integration-choice=wa1]') as HTMLInputElement).disabled).toBe(true);
    expect(document.querySelector('[data-integration-choice=wa1]')?.closest('label')?.textContent).toContain('not sendable yet (in review)');
    // English for everyone goes.
    await user.selectOptions(screen.getByLabelText('Language for everyone'), 'en_US');
    await waitFor(() => expect((document.querySelector('[data-integration-choice=wa1]') as HTMLInputElement).checked).toBe(true));
    expect(messageSpec()).toMatchObject({ template_id: 'en1', integration_id: 'wa1', language: 'one' });
  });

  it('keeps the single-language behaviour for a template with one translation', async () => {
    setLocale('en');
    resetWizard();
    library('APPROVED');
    render(StepMessage);
    const user = userEvent.setup();
    await user.click(await screen.findByText('single'));
    await waitFor(() => expect((document.querySelector('[data-integration-choice=wa1]') as HTMLInputElement).checked).toBe(true));
    expect(document.getElementById('campaign-language')).toBeNull();
    expect(document.getElementById('campaign-default-language')).toBeNull();
    expect(messageSpec()).toEqual({ template_id: 'one', integration_id: 'wa1', mapping: [], language: 'one', language_values: [] });
  });
});
