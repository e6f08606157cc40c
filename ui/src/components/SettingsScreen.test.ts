import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import SettingsScreen from './SettingsScreen.svelte';
import { app, setView } from '../lib/app.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { defaultSettings, fakeBackend, info, appError, said } from '../test/fixtures';
import type { Settings } from '../lib/api';

function setup(settings: Settings = defaultSettings({ first_run_done: true })) {
  setLocale('en');
  const backend = fakeBackend(settings);
  setView(backend.view);
  app.info = info;
  render(SettingsScreen, { initial: settings });
  return backend;
}

describe('SettingsScreen', () => {
  it('shows the saved values, the secret status and the installation facts', () => {
    setup(defaultSettings({ zendesk_subdomain: 'acme', blackout_days: 14, allowed_roles: ['admin', '42'] }));
    expect(screen.getByLabelText('Subdomain')).toHaveProperty('value', 'acme');
    expect(screen.getByLabelText('Blackout days')).toHaveProperty('value', '14');
    expect(screen.getByLabelText('Admins')).toHaveProperty('checked', true);
    expect(screen.getByLabelText('Agents')).toHaveProperty('checked', false);
    expect(screen.getByLabelText('Custom role ids')).toHaveProperty('value', '42');
    expect(screen.getByTestId('secret-status-zendesk_api_token').textContent?.trim()).toBe('Not set');
    expect(screen.getByTestId('schema-version').textContent).toBe('1');
  });

  it('saves what the form describes, with lists and rates rebuilt', async () => {
    const backend = setup();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Subdomain'), 'acme');
    await user.click(screen.getByLabelText('Agents'));
    await user.type(screen.getByLabelText('Allowed group ids'), '12, 34');
    await user.click(screen.getByText('Add a rate'));
    await user.type(screen.getByLabelText('Integration id'), 'wa1');
    expect(screen.getByTestId('unsaved')).toBeTruthy();
    await user.click(screen.getByText('Save settings'));
    await waitFor(() => expect(screen.getByTestId('settings-notice').textContent).toContain('Settings saved'));
    const call = backend.calls.find((c) => c.cmd === 'save_settings');
    const saved = call?.args.settings as Settings;
    expect(saved.zendesk_subdomain).toBe('acme');
    // What the page showed goes with it: the core writes only what changed from it.
    expect((call?.args.base as Settings).zendesk_subdomain).toBe('');
    expect(saved.allowed_roles).toEqual(['agent']);
    expect(saved.allowed_groups).toEqual(['12', '34']);
    expect(saved.send_rates).toEqual({ wa1: 80 });
  });

  it('shows the core’s field errors and keeps the edits', async () => {
    const backend = setup();
    backend.failSave = appError('invalid_input', said('error.fields', { count: '2' }), {
      blackout_days: said('settings.blackout_days', { max: '365' }),
      zendesk_email: said('settings.email'),
    });
    const user = userEvent.setup();
    const blackout = screen.getByLabelText('Blackout days');
    await user.clear(blackout);
    await user.type(blackout, '400');
    await user.click(screen.getByText('Save settings'));
    await waitFor(() => expect(screen.getByTestId('settings-notice').textContent).toContain('2 field(s)'));
    expect(document.querySelector('[data-field-error=blackout_days]')?.textContent).toContain('365');
    expect(blackout.getAttribute('aria-invalid')).toBe('true');
    expect(blackout.getAttribute('aria-describedby')).toContain('blackout_days-error');
    expect(blackout).toHaveProperty('value', '400');
  });

  it('edits the language rules one a line, and shows the core\'s refusal of a rule at the field', async () => {
    const backend = setup(defaultSettings({ first_run_done: true, language_rules: ['pt=pt_BR'] }));
    const user = userEvent.setup();
    const rules = screen.getByLabelText('Language rules');
    expect(rules).toHaveProperty('value', 'pt=pt_BR');
    expect(document.getElementById(rules.getAttribute('aria-describedby') ?? '')?.textContent).toContain('neither the region nor the language');
    const bad = said('language_rule.form', { value: 'spanish' });
    backend.failSave = appError('invalid_input', said('error.fields', { count: '1' }), { language_rules: bad });
    await user.type(rules, '{Enter}  es-419=es_MX {Enter}{Enter}spanish');
    await user.click(screen.getByText('Save settings'));
    await waitFor(() => expect(document.querySelector('[data-field-error=language_rules]')?.textContent).toContain('"spanish" is not a language rule: write LOCALE=CODE'));
    expect(rules.getAttribute('aria-invalid')).toBe('true');
    // Refused: nothing saved, the edits kept. Fixed: saved one rule a line, blank lines left out.
    expect(backend.view.settings.language_rules).toEqual(['pt=pt_BR']);
    await user.clear(rules);
    await user.type(rules, 'pt=pt_BR{Enter}  es-419=es_MX {Enter}{Enter}');
    await user.click(screen.getByText('Save settings'));
    await waitFor(() => expect(screen.getByTestId('settings-notice').textContent).toContain('Settings saved'));
    expect(backend.view.settings.language_rules).toEqual(['pt=pt_BR', 'es-419=es_MX']);
    expect(document.querySelector('[data-field-error=language_rules]')).toBeNull();
  });

  it('refuses an empty number locally, without calling Rust', async () => {
    const backend = setup();
    const user = userEvent.setup();
    await user.clear(screen.getByLabelText('Blackout days'));
    await user.click(screen.getByText('Save settings'));
    await waitFor(() => expect(screen.getByTestId('settings-notice').textContent).toContain('Nothing was saved'));
    expect(backend.calls.some((c) => c.cmd === 'save_settings')).toBe(false);
  });

  it('sends a secret once, then shows only that it is set', async () => {
    const backend = setup();
    const user = userEvent.setup();
    const input = screen.getByLabelText('API token');
    await user.type(input, 'sekret-value{Enter}');
    await waitFor(() => expect(screen.getByTestId('secret-status-zendesk_api_token').textContent?.trim()).toBe('Set'));
    expect(input).toHaveProperty('value', '');
    expect(backend.calls.filter((c) => c.cmd === 'set_secret')).toEqual([
      { cmd: 'set_secret', args: { kind: 'zendesk_api_token', value: 'sekret-value' } },
    ]);
    expect(document.body.innerHTML).not.toContain('sekret-value');
    await user.click(screen.getByText('Clear'));
    await waitFor(() => expect(screen.getByTestId('secret-status-zendesk_api_token').textContent?.trim()).toBe('Not set'));
  });

  it('decodes the base64 token through Rust and reports a bad one at the field', async () => {
    setup();
    const user = userEvent.setup();
    const token = screen.getByLabelText('Or paste the base64 authorization token');
    await user.type(token, 'bad');
    await user.click(screen.getByText('Use token'));
    await waitFor(() => expect(document.querySelector('[data-field-error=sunshine_token]')?.textContent).toContain('base64'));
    await user.clear(token);
    await user.type(token, 'YXBwXzE6c2VjcmV0');
    await user.click(screen.getByText('Use token'));
    await waitFor(() => expect(screen.getByLabelText('Key id')).toHaveProperty('value', 'app_from_token'));
    expect(screen.getByTestId('secret-status-sunshine_key_secret').textContent?.trim()).toBe('Set');
  });

  it('shows the custom URL field only for the custom host', async () => {
    setup();
    const user = userEvent.setup();
    expect(screen.queryByLabelText('Custom base URL')).toBeNull();
    await user.selectOptions(screen.getByLabelText('API host'), 'custom');
    expect(screen.getByLabelText('Custom base URL')).toBeTruthy();
  });

  it('saves Ctrl+S from anywhere on the screen', async () => {
    const backend = setup();
    const user = userEvent.setup();
    await user.keyboard('{Control>}s{/Control}');
    await waitFor(() => expect(backend.calls.some((c) => c.cmd === 'save_settings')).toBe(true));
  });
});

describe('SettingsScreen connection and access', () => {
  it('tests the connection and shows each check with its status', async () => {
    setup();
    const user = userEvent.setup();
    await user.click(screen.getByText('Test connection'));
    await waitFor(() => expect(screen.getByTestId('connection-summary').textContent).toContain('Some checks failed'));
    const token = document.querySelector('[data-check=zendesk_token]');
    expect(token?.getAttribute('data-status')).toBe('failed');
    expect(token?.textContent).toContain('Zendesk refused the API token');
    expect(document.querySelector('[data-check=zendesk_access]')?.getAttribute('data-status')).toBe('skipped');
  });

  it('chooses allowed groups from the list Zendesk returns', async () => {
    const backend = setup();
    const user = userEvent.setup();
    await user.click(screen.getByText('Choose groups from Zendesk'));
    await user.click(await screen.findByLabelText('Marketing'));
    expect(screen.getByLabelText('Allowed group ids')).toHaveProperty('value', '22');
    await user.click(screen.getByText('Save settings'));
    await waitFor(() => expect(backend.view.settings.allowed_groups).toEqual(['22']));
  });
});

describe('SettingsScreen updates', () => {
  it('checks for updates, offers the install, and says why it is refused while a campaign is sent', async () => {
    const backend = setup();
    expect(screen.getByTestId('update-status').textContent).toContain('Not checked yet');
    backend.update = {
      current: '0.1.0',
      available: { version: '0.2.0', notes: 'Quiet hours.', date: '2026-12-01T09:00:00Z' },
      checked_at: '2026-12-03T09:00:00Z',
    };
    backend.failInstall = appError('busy', said('update.busy_one', { name: 'delivery_update' }));
    const user = userEvent.setup();
    await user.click(screen.getByText('Check for updates'));
    await waitFor(() => expect(screen.getByTestId('update-status').textContent).toContain('Relay 0.2.0 is available (you have 0.1.0).'));
    expect(screen.getByTestId('update-status').textContent).toContain('Quiet hours.');
    await user.click(screen.getByText('Install 0.2.0 and restart'));
    expect((await screen.findByRole('alert')).textContent).toContain('The campaign of “delivery_update” is being sent');
  });

  it('says when this is the newest Relay, and saves an update address on its own', async () => {
    const backend = setup();
    const user = userEvent.setup();
    await user.click(screen.getByText('Check for updates'));
    await waitFor(() => expect(screen.getByTestId('update-status').textContent).toContain('This is the newest Relay (0.1.0).'));
    await user.type(screen.getByLabelText('Update address'), 'https://updates.example.com/relay/latest.json');
    await user.click(screen.getByText('Use this address'));
    await waitFor(() => expect(backend.view.settings.update_url).toBe('https://updates.example.com/relay/latest.json'));
    expect(screen.getByText('Update address saved.')).toBeTruthy();
  });
});

describe('SettingsScreen team', () => {
  it('shows this desktop and what waits for the team store, and syncs on demand', async () => {
    setLocale('en');
    const backend = fakeBackend(defaultSettings({ first_run_done: true }));
    backend.view = { ...backend.view, configured: true };
    setView(backend.view);
    app.info = info;
    render(SettingsScreen, { initial: backend.view.settings });
    await waitFor(() => expect(screen.getByTestId('team-pending').textContent).toBe('3'));
    expect(screen.getByTestId('team-status').textContent).toContain('ada-laptop/1a2b3c4d');
    const user = userEvent.setup();
    await user.click(screen.getByText('Sync now'));
    await waitFor(() => expect(screen.getByTestId('team-synced').textContent).toBe('Pushed 3, 5 new from other desktops (7 requests).'));
    expect(screen.getByTestId('team-pending').textContent).toBe('0');
  });

  it('says how many records an earlier Relay left in the store, and deletes them once confirmed', async () => {
    setLocale('en');
    const backend = fakeBackend(defaultSettings({ first_run_done: true }));
    backend.view = { ...backend.view, configured: true };
    backend.teamLegacy = 1234;
    setView(backend.view);
    app.info = info;
    render(SettingsScreen, { initial: backend.view.settings });
    await waitFor(() => expect(screen.getByTestId('team-legacy').textContent).toContain('1,234 records of an earlier Relay'));
    const user = userEvent.setup();
    await user.click(screen.getByText('Delete the old records…'));
    expect(backend.teamLegacy).toBe(1234);
    await user.click(screen.getByText('Delete them from the store'));
    await waitFor(() => expect(screen.getByTestId('team-synced').textContent).toBe('1234 old records deleted from the store; their entries stay in the ledgers.'));
    expect(backend.teamLegacy).toBe(0);
    expect(screen.queryByTestId('team-legacy')).toBeNull();
  });
});

describe('SettingsScreen team policy', () => {
  it('publishes a team policy: a bad field is said at its place, then the policy applies and its fields are the team’s', async () => {
    setLocale('en');
    const backend = fakeBackend(defaultSettings({ first_run_done: true, blackout_days: 7 }));
    backend.view = { ...backend.view, configured: true };
    setView(backend.view);
    app.info = info;
    render(SettingsScreen, { initial: backend.view.settings });
    expect(screen.getByTestId('team-policy-none')).toBeTruthy();
    expect((screen.getByLabelText('Blackout days') as HTMLInputElement).disabled).toBe(false);
    const user = userEvent.setup();
    await user.click(screen.getByText('Publish a team policy…'));
    const form = within(screen.getByTestId('policy-form'));
    await user.clear(form.getByLabelText('Blackout days'));
    await user.type(form.getByLabelText('Blackout days'), '3');
    await user.type(form.getByLabelText('Quiet hours'), 'late');
    await user.click(screen.getByText('Publish to the team'));
    await waitFor(() => expect(form.getByText(/is not a quiet-hours window/)).toBeTruthy());
    expect(backend.view.team_policy).toBeNull();
    await user.clear(form.getByLabelText('Quiet hours'));
    await user.type(form.getByLabelText('Quiet hours'), '21:00-08:00');
    await user.clear(form.getByLabelText('Language rules'));
    await user.type(form.getByLabelText('Language rules'), 'pt=pt_PT, es-419=es_MX');
    await user.click(screen.getByText('Publish to the team'));
    await waitFor(() => expect(screen.getByTestId('policy-published')).toBeTruthy());
    expect(screen.getByTestId('team-policy').textContent).toContain('21:00-08:00');
    expect(screen.getByTestId('team-policy').textContent).toContain('pt=pt_PT, es-419=es_MX');
    expect(backend.view.team_policy?.policy.language_rules).toEqual(['pt=pt_PT', 'es-419=es_MX']);
    // No Meta rule lifted reads as none, not as any.
    expect(screen.getByTestId('policy-lifted').textContent).toBe('none');
    // Every desktop gives a recipient the same translation: the rules are the team's too.
    const rules = screen.getAllByLabelText('Language rules').find((e) => e.id === 'language_rules') as HTMLTextAreaElement;
    expect(rules.disabled).toBe(true);
    expect(rules.value).toBe('pt=pt_PT\nes-419=es_MX');
    expect(screen.getByTestId('team-policy-origin').textContent).toContain('ada@example.com');
    // The Sending section shows the team's values, not editable, and says whose they are.
    const blackout = screen.getAllByLabelText('Blackout days').find((e) => e.id === 'blackout_days') as HTMLInputElement;
    expect(blackout.disabled).toBe(true);
    expect(blackout.value).toBe('3');
    expect(screen.getAllByTestId('policy-note')[0]?.textContent).toContain('ada-laptop/1a2b3c4d');
    // Saving the rest of the form does not touch the policy.
    await user.click(screen.getByText('Save settings'));
    await waitFor(() => expect(backend.view.settings.blackout_days).toBe(3));
  });
});
