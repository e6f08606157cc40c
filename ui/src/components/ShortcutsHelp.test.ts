import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from '../App.svelte';
import { app } from '../lib/app.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { hideShortcuts } from '../lib/shortcuts.svelte';
import { defaultSettings, fakeBackend } from '../test/fixtures';

beforeEach(() => {
  Object.assign(app, { loading: true, view: null, info: null, fatal: null, screen: 'templates' });
  hideShortcuts();
  setLocale('en');
});

async function openApp(language: 'en' | 'fr' = 'en') {
  fakeBackend(defaultSettings({ first_run_done: true, language }));
  render(App);
  await screen.findByRole('heading', { level: 1, name: language === 'en' ? 'Templates' : 'Modèles' });
  return userEvent.setup();
}

const help = () => screen.queryByTestId('shortcuts-help');

describe('keyboard help', () => {
  it('opens on ?, lists every shortcut, closes on Escape and gives the focus back', async () => {
    const user = await openApp();
    const settings = screen.getByRole('button', { name: /Settings/ });
    settings.focus();
    await user.keyboard('?');

    const dialog = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(dialog).toBe(help());
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    const title = document.getElementById(dialog.getAttribute('aria-labelledby') ?? '');
    expect(title?.tagName).toBe('H2');
    expect(title?.textContent).toBe('Keyboard shortcuts');
    // The focus is in the dialog.
    expect(dialog.contains(document.activeElement)).toBe(true);

    // Every shortcut the window has.
    const text = dialog.textContent ?? '';
    for (const [keys, does] of [
      ['Ctrl+1', 'Go to Templates'],
      ['Ctrl+2', 'Go to Campaigns'],
      ['Ctrl+3', 'Go to Integrations'],
      ['Ctrl+4', 'Go to Settings'],
      ['Ctrl+S', 'Save the settings'],
      ['?', 'Show this list'],
      ['Esc', 'Close the dialog or the confirmation'],
      ['Home', 'First or last translation'],
      ['Enter', 'save it to the keychain'],
    ] as const) {
      const row = [...dialog.querySelectorAll('.row')].find((r) => r.textContent?.includes(does));
      expect(row?.querySelector('dt')?.textContent?.replace(/\s+/g, ''), does).toContain(keys);
    }
    // The arrows are said by name.
    expect(text).toContain('Left arrow');
    expect(text).toContain('Right arrow');
    expect(text).toContain('⌘');

    // The window behind waits: Ctrl+2 does nothing while the help is open.
    await user.keyboard('{Control>}2{/Control}');
    expect(app.screen).toBe('templates');

    await user.keyboard('{Escape}');
    await waitFor(() => expect(help()).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(settings));
  });

  it('does not open while typing in a field', async () => {
    const user = await openApp();
    await user.keyboard('{Control>}4{/Control}');
    const subdomain = await screen.findByLabelText('Subdomain');
    await user.type(subdomain, 'what?');
    expect((subdomain as HTMLInputElement).value).toBe('what?');
    expect(help()).toBeNull();
    // Nor in a text area.
    const rules = screen.getByLabelText('Language rules');
    await user.type(rules, '?');
    expect(help()).toBeNull();
    // Out of the field, it does.
    screen.getByRole('button', { name: 'Save settings' }).focus();
    await user.keyboard('?');
    expect(help()).not.toBeNull();
  });

  it('opens from "Keyboard shortcuts" in the sidebar, keeps Tab inside, and Close gives the focus back', async () => {
    const user = await openApp();
    const button = screen.getByRole('button', { name: 'Keyboard shortcuts' });
    expect(button.dataset.action).toBe('show-shortcuts');
    expect(button.getAttribute('aria-haspopup')).toBe('dialog');
    await user.click(button);
    const dialog = await screen.findByTestId('shortcuts-help');
    const close = screen.getByRole('button', { name: 'Close' });
    expect(document.activeElement).toBe(close);
    // The only control: Tab and Shift+Tab stay on it.
    await user.tab();
    expect(document.activeElement).toBe(close);
    await user.tab({ shift: true });
    expect(document.activeElement).toBe(close);
    expect(dialog.contains(document.activeElement)).toBe(true);
    await user.click(close);
    await waitFor(() => expect(help()).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(button));
  });

  it('speaks French', async () => {
    const user = await openApp('fr');
    await user.click(screen.getByRole('button', { name: 'Raccourcis clavier' }));
    const dialog = await screen.findByRole('dialog', { name: 'Raccourcis clavier' });
    expect(dialog.textContent).toContain('Ouvrir l’écran Paramètres');
    expect(dialog.textContent).toContain('Échap');
    setLocale('en');
  });
});
