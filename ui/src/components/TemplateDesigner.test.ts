import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import TemplatesScreen from './TemplatesScreen.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { setView } from '../lib/app.svelte';
import { defaultSettings, fakeBackend, remoteEntry, templateState } from '../test/fixtures';

describe('template designer', () => {
  it('creates a template offline: live name hint, problems, previews, autosave', async () => {
    setLocale('en');
    const backend = fakeBackend(defaultSettings({ first_run_done: true, language: 'en' }));
    setView(backend.view);
    render(TemplatesScreen);
    const user = userEvent.setup();
    await user.click(await screen.findByText('New template'));
    await waitFor(() => expect(document.querySelector('[data-issue=body_required]')).toBeTruthy());
    await user.type(screen.getByLabelText('Name'), 'Order Shipped');
    await waitFor(() => expect(screen.getByTestId('name-hint').textContent).toContain('order_shipped'));
    // user-event reads { as a key: {{ types one literal brace.
    await user.type(screen.getByLabelText('Message'), 'Hi **{{{{Clarice}}**, shipped.');
    await waitFor(() => expect(screen.getByTestId('whatsapp-bubble').innerHTML).toContain('<strong>{{Clarice}}</strong>'));
    await waitFor(() => expect(document.querySelector('[data-issue=body_required]')).toBeNull());
    await user.click(screen.getByRole('button', { name: 'SMS' }));
    expect(screen.getByTestId('sms-bubble').textContent).toBe('Hi {{Clarice}}, shipped.');
    expect(screen.getByTestId('sms-info').textContent).toContain('GSM-7');
    await waitFor(() => expect(screen.getByTestId('save-state').textContent).toContain('Saved'));
    expect(backend.drafts[0]?.template.body).toBe('Hi **{{Clarice}}**, shipped.');
    await user.click(screen.getByText(/All templates/));
    await screen.findByText('Order Shipped');
  });
});

describe('template list', () => {
  it('asks in the page before deleting, and keeping it changes nothing', async () => {
    setLocale('en');
    const backend = fakeBackend(defaultSettings({ first_run_done: true, language: 'en' }));
    backend.drafts = [{ id: 'd1', template: { name: 'promo', integrations: [], category: 'MARKETING', language: 'fr', header: { kind: 'none', text: '', url: '' }, body: 'x', footer: '', buttons: [] }, created_at: '1', updated_at: '2' }];
    render(TemplatesScreen);
    const user = userEvent.setup();
    await screen.findByText('promo');
    expect(screen.getByText(/Marketing · fr/)).toBeTruthy();
    await user.click(screen.getByText('Delete'));
    expect(screen.getByRole('alert').textContent).toContain('Delete promo?');
    await user.click(screen.getByText('Keep it'));
    expect(backend.calls.some((c) => c.cmd === 'delete_template')).toBe(false);
    await user.click(screen.getByText('Delete'));
    await user.click(document.querySelector('[data-action=confirm-delete]') as HTMLElement);
    await waitFor(() => expect(backend.calls.some((c) => c.cmd === 'delete_template')).toBe(true));
  });
});

describe('submission and sync', () => {
  function connected() {
    const backend = fakeBackend(defaultSettings({ first_run_done: true, language: 'en' }));
    backend.view = { ...backend.view, configured: true };
    setView(backend.view);
    return backend;
  }
  const base = { category: 'UTILITY' as const, language: 'en_US', header: { kind: 'none' as const, text: '', url: '' }, footer: '', buttons: [] };

  it('submits from the designer, then sync shows the review moving on', async () => {
    setLocale('en');
    const backend = connected();
    backend.drafts = [{ id: 'd1', template: { ...base, name: 'spring', integrations: ['wa1', 'tw1'], body: 'Hi {{Ann}}, thanks.' }, created_at: '1', updated_at: '2' }];
    render(TemplatesScreen);
    const user = userEvent.setup();
    expect((await screen.findByTestId('last-synced')).textContent).toContain('not synced yet');
    await user.click(await screen.findByText('Edit'));
    const submit = await screen.findByRole('button', { name: 'Submit' });
    await waitFor(() => expect((submit as HTMLButtonElement).disabled).toBe(false));
    await user.click(submit);
    await waitFor(() => expect(screen.getByTestId('template-states').textContent).toContain('WhatsApp Support: in review'));
    expect(screen.getByTestId('template-states').textContent).toContain('Twilio SMS: ready');
    expect(backend.calls.find((c) => c.cmd === 'submit_template')?.args).toEqual({ id: 'd1', integrations: [] });
    await user.click(screen.getByText(/All templates/));
    await screen.findByText('WhatsApp Support: in review');
    await user.click(screen.getByText('Sync WhatsApp templates'));
    await screen.findByText('WhatsApp Support: approved');
    expect(screen.getByTestId('last-synced').textContent).toContain('last synced');
  });

  it('cannot submit with errors or without an integration', async () => {
    setLocale('en');
    const backend = connected();
    backend.drafts = [{ id: 'd1', template: { ...base, name: 'empty', integrations: ['wa1'], body: '' }, created_at: '1', updated_at: '2' }];
    render(TemplatesScreen);
    const user = userEvent.setup();
    await user.click(await screen.findByText('Edit'));
    await waitFor(() => expect(document.querySelector('[data-issue=body_required]')).toBeTruthy());
    expect((screen.getByRole('button', { name: 'Submit' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText('Fix the errors below before submitting.')).toBeTruthy();
  });

  it('filters the list, and warns of the 30-day block before deleting on WhatsApp', async () => {
    setLocale('en');
    const backend = connected();
    backend.drafts = [
      { id: 'd1', template: { ...base, name: 'approved_one', integrations: ['wa1'], body: 'a' }, created_at: '1', updated_at: '2' },
      { id: 'd2', template: { ...base, name: 'plain_draft', integrations: [], body: 'b' }, created_at: '1', updated_at: '2' },
    ];
    backend.states = { d1: [templateState('wa1', 'WhatsApp Support', 'whatsapp', 'APPROVED', { edited_since_submitted: true })] };
    backend.remote = [remoteEntry({ integration_id: 'wa1', integration_name: 'WhatsApp Support', name: 'free_money', language: 'en', category: 'MARKETING', status: 'REJECTED', reason: 'INVALID_FORMAT', body: 'Free {{1}}' })];
    render(TemplatesScreen);
    const user = userEvent.setup();
    await screen.findByText('approved_one');
    expect(screen.getAllByText(/edited since it was submitted/)).toHaveLength(1);
    expect(screen.getByText('free_money')).toBeTruthy();
    expect(screen.getAllByText('Reason: INVALID_FORMAT').length).toBeGreaterThan(0);

    await user.selectOptions(document.querySelector('[data-filter=status]') as HTMLSelectElement, 'not_submitted');
    expect(screen.queryByText('approved_one')).toBeNull();
    expect(screen.getByText('plain_draft')).toBeTruthy();
    await user.selectOptions(document.querySelector('[data-filter=status]') as HTMLSelectElement, 'all');
    await user.type(screen.getByLabelText('Search templates'), 'nothing like this');
    expect(screen.getByText('No template matches this search.')).toBeTruthy();
    await user.clear(screen.getByLabelText('Search templates'));

    // Delete the approved one: the page offers local only or everywhere, naming the 30 days.
    const card = document.querySelector('[data-template=approved_one]') as HTMLElement;
    await user.click(card.querySelector('[data-action=delete]') as HTMLElement);
    expect(card.textContent).toContain('blocks the name approved_one for 30 days');
    await user.click(card.querySelector('[data-action=confirm-delete-everywhere]') as HTMLElement);
    await waitFor(() => expect(screen.queryByText('approved_one')).toBeNull());
    const cmds = backend.calls.map((c) => c.cmd);
    expect(cmds.indexOf('delete_remote_template')).toBeLessThan(cmds.indexOf('delete_template'));

    // A WhatsApp-only template.
    const remoteCard = document.querySelector('[data-remote-template=free_money]') as HTMLElement;
    await user.click(remoteCard.querySelector('[data-action=delete-remote]') as HTMLElement);
    expect(remoteCard.textContent).toContain('30 days');
    await user.click(remoteCard.querySelector('[data-action=confirm-delete-remote]') as HTMLElement);
    await waitFor(() => expect(screen.queryByText('free_money')).toBeNull());
  });
});
