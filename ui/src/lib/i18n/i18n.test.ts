import { describe, expect, it } from 'vitest';
import { en } from './en';
import { fr } from './fr';
import { i18n, setLocale, systemLocale, t } from './index.svelte';

describe('i18n', () => {
  it('has a French string for every English key and no stray keys', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
    for (const [key, value] of Object.entries(fr)) {
      expect(value.trim(), key).not.toBe('');
    }
  });

  it('keeps the same placeholders in both languages', () => {
    const names = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(names(fr[key]), key).toEqual(names(en[key]));
    }
  });

  it('switches language and fills placeholders', () => {
    setLocale('fr');
    expect(i18n.locale).toBe('fr');
    expect(t('nav.settings')).toBe('Paramètres');
    expect(t('nav.workspace.connected', { subdomain: 'acme' })).toBe('Espace de travail : acme');
    setLocale('en');
    expect(t('nav.workspace.connected', { subdomain: 'acme' })).toBe('Workspace: acme');
    expect(document.documentElement.lang).toBe('en');
  });

  it('follows a French system, English otherwise', () => {
    expect(systemLocale(['fr-CA', 'en'])).toBe('fr');
    expect(systemLocale(['de-DE', 'en-US'])).toBe('en');
    expect(systemLocale([])).toBe('en');
  });
});
