import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import TemplatesScreen from './TemplatesScreen.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { setView } from '../lib/app.svelte';
import { defaultSettings, fakeBackend } from '../test/fixtures';

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
