import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
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
    expect(document.querySelector('[data-template=promo] [data-translation=fr]')?.textContent).toContain('Marketing');
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

  it('asks before deleting in the row: focus on Keep, Escape closes it, the focus back on Delete', async () => {
    setLocale('en');
    const backend = connected();
    backend.drafts = [
      { id: 'd1', template: { ...base, name: 'first', integrations: [], body: 'a' }, created_at: '1', updated_at: '2' },
      { id: 'd2', template: { ...base, name: 'second', integrations: [], body: 'b' }, created_at: '1', updated_at: '2' },
    ];
    render(TemplatesScreen);
    const user = userEvent.setup();
    const remove = await screen.findByRole('button', { name: 'Delete second (en_US)' });
    remove.focus();
    await user.keyboard('{Enter}');
    const row = document.querySelector('[data-draft=d2]') as HTMLElement;
    expect(row.querySelector('[role=alert]')?.textContent).toContain('second');
    // The focus moved into the question, on its safe answer.
    expect(document.activeElement?.textContent).toBe('Keep it');
    expect(row.contains(document.activeElement)).toBe(true);
    await user.keyboard('{Escape}');
    expect(row.querySelector('[role=alert]')).toBeNull();
    // The Delete button is drawn again: the focus is on it.
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Delete second (en_US)' })));
    expect(backend.calls.some((c) => c.cmd === 'delete_template')).toBe(false);
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

describe('translations', () => {
  const renewal = (id: string, language: string, created: string, body: string) => ({
    id,
    template: { name: 'renewal', integrations: [], category: 'UTILITY' as const, language, header: { kind: 'none' as const, text: '', url: '' }, body, footer: '', buttons: [] },
    created_at: created,
    updated_at: '2',
  });

  function withTranslations() {
    setLocale('en');
    const backend = fakeBackend(defaultSettings({ first_run_done: true, language: 'en' }));
    setView(backend.view);
    backend.drafts = [renewal('d2', 'fr', '2', 'Bonjour'), renewal('d1', 'en_US', '1', 'Hello'), { ...renewal('d9', 'en_US', '3', 'Other'), template: { ...renewal('d9', 'en_US', '3', 'Other').template, name: 'other' } }];
    backend.states = { d1: [templateState('wa1', 'WhatsApp Support', 'whatsapp', 'APPROVED')], d2: [templateState('wa1', 'WhatsApp Support', 'whatsapp', 'PENDING')] };
    render(TemplatesScreen);
    return { backend, user: userEvent.setup() };
  }

  it('lists a template once with each translation and its status per integration, each with its own actions', async () => {
    withTranslations();
    const card = (await screen.findByText('renewal')).closest('[data-template]') as HTMLElement;
    expect(card.getAttribute('data-template')).toBe('renewal');
    const rows = [...card.querySelectorAll('[data-translation]')];
    // The main language (the first made) first, whatever the library's order.
    expect(rows.map((r) => r.getAttribute('data-translation'))).toEqual(['en_US', 'fr']);
    expect(rows[0]?.textContent).toContain('main language');
    expect(rows[0]?.textContent).toContain('WhatsApp Support: approved');
    expect(rows[1]?.textContent).toContain('WhatsApp Support: in review');
    expect(screen.getByRole('button', { name: 'Edit renewal (fr)' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Delete renewal (en_US)' })).toBeTruthy();
    expect(document.querySelectorAll('[data-template=other] [data-translation]')).toHaveLength(1);
  });

  it('shows the translations as tabs, opens one, adds one in a language not used yet, and keeps a language once', async () => {
    const { backend, user } = withTranslations();
    await user.click(await screen.findByRole('button', { name: 'Edit renewal (en_US)' }));
    const tablist = await screen.findByRole('tablist', { name: 'Translations' });
    await waitFor(() => expect(tablist.querySelectorAll('[role=tab]')).toHaveLength(2));
    expect(screen.getByTestId('translation-tab-en_US').getAttribute('aria-selected')).toBe('true');
    expect(screen.getByTestId('translation-tab-fr').getAttribute('aria-selected')).toBe('false');
    // Another translation's language cannot be chosen for this one, nor added again.
    const fr = [...(screen.getByLabelText('Language') as HTMLSelectElement).options].find((o) => o.value === 'fr');
    expect(fr?.disabled).toBe(true);
    const add = document.getElementById('add-translation-language') as HTMLSelectElement;
    expect([...add.options].map((o) => o.value)).not.toContain('fr');
    expect([...add.options].map((o) => o.value)).not.toContain('en_US');

    // A tab opens its translation in the designer.
    await user.click(screen.getByTestId('translation-tab-fr'));
    await waitFor(() => expect(screen.getByTestId('translation-tab-fr').getAttribute('aria-selected')).toBe('true'));
    expect((screen.getByLabelText('Language') as HTMLSelectElement).value).toBe('fr');
    expect((screen.getByLabelText('Message') as HTMLTextAreaElement).value).toBe('Bonjour');
    // The focus stays on the tabs; the arrows move along them.
    expect(document.activeElement).toBe(screen.getByTestId('translation-tab-fr'));
    await user.keyboard('{ArrowLeft}');
    expect(document.activeElement).toBe(screen.getByTestId('translation-tab-en_US'));

    // Add German: a copy of this one, opened.
    await user.selectOptions(screen.getByLabelText('Add a translation'), 'de');
    await user.click(screen.getByTestId('add-translation'));
    await waitFor(() => expect(screen.getByTestId('translation-tab-de').getAttribute('aria-selected')).toBe('true'));
    expect(backend.calls.find((c) => c.cmd === 'add_translation')?.args).toEqual({ id: 'd2', language: 'de' });
    expect((screen.getByLabelText('Language') as HTMLSelectElement).value).toBe('de');
    expect(screen.getByRole('tablist').querySelectorAll('[role=tab]')).toHaveLength(3);

    // Spanish was added elsewhere meanwhile: the core refuses, and says so at the control.
    backend.drafts.push(renewal('d7', 'es', '7', 'Hola'));
    await user.selectOptions(screen.getByLabelText('Add a translation'), 'es');
    await user.click(screen.getByTestId('add-translation'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('renewal already has a translation in es'));
    expect(screen.getByTestId('translation-tab-de').getAttribute('aria-selected')).toBe('true');
  });

  it('renames every translation with the template, shows them side by side, and says what differs', async () => {
    const { backend, user } = withTranslations();
    await user.click(await screen.findByRole('button', { name: 'Edit renewal (en_US)' }));
    await waitFor(() => expect(screen.getByTestId('translation-tab-fr')).toBeTruthy());
    expect(screen.getByTestId('name-translations').textContent).toContain('2 translations');

    await user.click(screen.getByTestId('translations-side-by-side'));
    const view = screen.getByTestId('translations-side-by-side-view');
    expect([...view.querySelectorAll('[data-preview-language]')].map((p) => p.getAttribute('data-preview-language'))).toEqual(['en_US', 'fr']);
    expect(within(view).getByRole('heading', { name: 'fr' })).toBeTruthy();
    expect(view.querySelector('[data-preview-language=fr] [data-testid=whatsapp-bubble]')?.textContent).toContain('Bonjour');

    const name = screen.getByLabelText('Name');
    await user.clear(name);
    await user.type(name, 'renewal_2026');
    await waitFor(() => expect(backend.drafts.filter((d) => d.template.name === 'renewal_2026').map((d) => d.id).sort()).toEqual(['d1', 'd2']));
    // The other template kept its name, and the translations are still one template.
    expect(backend.drafts.find((d) => d.id === 'd9')?.template.name).toBe('other');
    await waitFor(() => expect(screen.getByRole('tablist').querySelectorAll('[role=tab]')).toHaveLength(2));
    expect(backend.drafts.find((d) => d.id === 'd2')?.template.body).toBe('Bonjour');

    // Two translations in one language: the core's words, near the tabs.
    backend.drafts.push({ ...renewal('d5', 'fr', '5', 'Encore'), template: { ...renewal('d5', 'fr', '5', 'Encore').template, name: 'renewal_2026' } });
    await user.type(screen.getByLabelText('Message'), '!');
    await waitFor(() => expect(screen.getByTestId('translation-problems').textContent).toContain('renewal_2026 has two translations in fr'));
  });

  it('renames the translations in the same save: one that cannot be written leaves every name as it was', async () => {
    const { backend, user } = withTranslations();
    await user.click(await screen.findByRole('button', { name: 'Edit renewal (en_US)' }));
    await waitFor(() => expect(screen.getByTestId('translation-tab-fr')).toBeTruthy());
    backend.unwritable = 'd2';
    await user.type(screen.getByLabelText('Name'), '_x');
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('disk I/O error'));
    const names = () => ['d1', 'd2'].map((id) => backend.drafts.find((d) => d.id === id)?.template.name);
    expect(names()).toEqual(['renewal', 'renewal']);

    // Writable again: the next save renames both at once.
    backend.unwritable = null;
    await user.type(screen.getByLabelText('Name'), 'y');
    await waitFor(() => expect(names()).toEqual(['renewal_xy', 'renewal_xy']));
    expect(backend.calls.filter((c) => c.cmd === 'save_template').every((c) => Array.isArray(c.args.translations))).toBe(true);
  });
});
