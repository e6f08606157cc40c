import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';
import App from './App.svelte';
import { app } from './lib/app.svelte';
import { setLocale } from './lib/i18n/index.svelte';
import { hideShortcuts } from './lib/shortcuts.svelte';
import { defaultSettings, fakeBackend } from './test/fixtures';

/** axe-core's WCAG 2.1 A and AA rules on the document, as the end-to-end journeys run them
 * (colours aside: jsdom draws nothing; lib/contrast.test.ts checks the themes' pairs). */
async function violations(): Promise<string[]> {
  const result = await axe.run(document.body, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    rules: { 'color-contrast': { enabled: false } },
    resultTypes: ['violations'],
  });
  return result.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

beforeEach(() => {
  Object.assign(app, { loading: true, view: null, info: null, fatal: null, screen: 'templates' });
  hideShortcuts();
  setLocale('en');
});

describe('accessibility audit', () => {
  it('finds no WCAG 2.1 AA violation on each screen, nor with the keyboard help open', async () => {
    const backend = fakeBackend(defaultSettings({ first_run_done: true, language: 'en', zendesk_subdomain: 'acme' }));
    backend.view = { ...backend.view, configured: true };
    render(App);
    await screen.findByRole('heading', { level: 1, name: 'Templates' });
    const user = userEvent.setup();
    for (const [key, title] of [['1', 'Templates'], ['2', 'New campaign'], ['3', 'Integrations'], ['4', 'Settings']] as const) {
      await user.keyboard(`{Control>}${key}{/Control}`);
      await screen.findByRole('heading', { level: 1, name: title });
      expect(await violations(), title).toEqual([]);
    }
    await user.click(screen.getByRole('button', { name: 'Keyboard shortcuts' }));
    await screen.findByTestId('shortcuts-help');
    expect(await violations(), 'keyboard help').toEqual([]);
  }, 30_000);
});
