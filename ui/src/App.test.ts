import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from './App.svelte';
import { app } from './lib/app.svelte';
import { defaultSettings, fakeBackend, appError, said } from './test/fixtures';
import { mockIPC } from '@tauri-apps/api/mocks';
import { setLocale } from './lib/i18n/index.svelte';

beforeEach(() => {
  // The app state is module-level: start every test from a fresh launch.
  Object.assign(app, { loading: true, view: null, info: null, fatal: null, screen: 'templates' });
  setLocale('en');
});

describe('App', () => {
  it('opens on the first-run screen, then Settings once the user sets up', async () => {
    const backend = fakeBackend(defaultSettings());
    render(App);
    await screen.findByText('Welcome to Relay');
    await userEvent.setup().click(screen.getByText('Set up my workspace'));
    await screen.findByRole('heading', { level: 1, name: 'Settings' });
    const saved = backend.calls.find((c) => c.cmd === 'save_settings')?.args.settings as { first_run_done: boolean };
    expect(saved.first_run_done).toBe(true);
  });

  it('switches screens with the navigation and with Ctrl+number', async () => {
    fakeBackend(defaultSettings({ first_run_done: true, zendesk_subdomain: 'acme' }));
    render(App);
    await screen.findByRole('heading', { level: 1, name: 'Templates' });
    expect(screen.getByTestId('workspace-indicator').textContent).toContain('acme');
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /Campaigns/ }));
    await screen.findByRole('heading', { level: 1, name: 'New campaign' });
    await user.keyboard('{Control>}4{/Control}');
    await screen.findByRole('heading', { level: 1, name: 'Settings' });
    expect(screen.getByRole('button', { name: /Settings/ }).getAttribute('aria-current')).toBe('page');
    await user.keyboard('{Control>}3{/Control}');
    await screen.findByRole('heading', { level: 1, name: 'Integrations' });
  });

  it('applies the saved language and theme', async () => {
    fakeBackend(defaultSettings({ first_run_done: true, language: 'fr', theme: 'dark' }));
    render(App);
    await screen.findByRole('heading', { level: 1, name: 'Modèles' });
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(document.documentElement.lang).toBe('fr');
  });

  it('shows a workspace that cannot open, with what to do, and retries', async () => {
    let fail = true;
    mockIPC((cmd) => {
      if (fail) {
        throw appError('storage', said('storage.too_new', { found: '9', known: '8' }), undefined, '/d/relay.sqlite3');
      }
      if (cmd === 'template_library') return { local: [], remote: [], syncs: [] };
      return cmd === 'app_info' ? {} : { settings: defaultSettings({ first_run_done: true, language: 'en' }), secrets: { zendesk_api_token: false, sunshine_key_secret: false }, configured: false, team_policy: null };
    });
    render(App);
    await screen.findByText('Relay could not open this workspace');
    expect(screen.getByRole('alert').textContent).toContain('newer Relay');
    expect(screen.getByText('/d/relay.sqlite3')).toBeTruthy();
    fail = false;
    await userEvent.setup().click(screen.getByText('Try again'));
    await waitFor(() => expect(screen.queryByText('Relay could not open this workspace')).toBeNull());
  });
});

describe('preferences', () => {
  it('two quick changes are both kept (saves run in order on the latest settings)', async () => {
    const { savePreferences } = await import('./lib/app.svelte');
    const backend = fakeBackend(defaultSettings({ first_run_done: false, language: 'en' }));
    render(App);
    await screen.findByText('Welcome to Relay');
    const a = savePreferences({ language: 'fr' });
    const b = savePreferences({ first_run_done: true });
    await Promise.all([a, b]);
    expect(backend.view.settings.language).toBe('fr');
    expect(backend.view.settings.first_run_done).toBe(true);
  });
});

describe('demo workspace', () => {
  it('opens from the first-run screen, shows Demo everywhere, and leaving returns to first run', async () => {
    const backend = fakeBackend(defaultSettings({ language: 'en' }));
    render(App);
    const user = userEvent.setup();
    await user.click(await screen.findByText('Try the demo workspace'));
    await screen.findByRole('heading', { level: 1, name: 'Templates' });
    expect(screen.getByTestId('demo-badge').textContent).toBe('Demo');
    expect(screen.getByTestId('workspace-indicator').textContent).toContain('relay-demo');
    await user.keyboard('{Control>}4{/Control}');
    await screen.findByRole('heading', { level: 1, name: 'Settings' });
    expect(screen.getByTestId('demo-badge')).toBeTruthy();
    await user.click(screen.getByText('Leave the demo'));
    await screen.findByText('Welcome to Relay');
    expect(backend.calls.map((c) => c.cmd)).toContain('leave_demo');
  });
});

describe('integrations', () => {
  it('lists the integrations and saves their send rates', async () => {
    const backend = fakeBackend(defaultSettings({ first_run_done: true, language: 'en' }));
    backend.view = { ...backend.view, configured: true };
    render(App);
    const user = userEvent.setup();
    await screen.findByRole('heading', { level: 1, name: 'Templates' });
    await user.click(screen.getByRole('button', { name: /Integrations/ }));
    await screen.findByText('WhatsApp Support');
    expect(screen.getByText('+15145550100')).toBeTruthy();
    expect(screen.getByText('(not shown by the API)')).toBeTruthy();
    const rate = screen.getByLabelText('Messages per second: WhatsApp Support');
    await user.clear(rate);
    await user.type(rate, '80');
    await user.click(screen.getByText('Save rates'));
    await waitFor(() => expect(screen.getByTestId('integrations-notice').textContent).toContain('saved'));
    expect(backend.view.settings.send_rates).toEqual({ wa1: 80, tw1: 8 });
  });
});
