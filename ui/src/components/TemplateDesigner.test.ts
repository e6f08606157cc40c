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
