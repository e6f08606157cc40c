import { describe, expect, it } from 'vitest';
import { en } from './en';
import { fr } from './fr';
import { i18n, setLocale, systemLocale, t, tr } from './index.svelte';
import { CAMPAIGN_STATUSES, ERROR_CODES, EXCLUSION_REASONS, ISSUE_CODES } from '../bindings';

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

  it('has an English and a French text for every code the core sends', () => {
    const keys = [
      ...ERROR_CODES.map((c) => `error.code.${c}`),
      ...ISSUE_CODES.map((c) => `issue.${c}`),
      ...EXCLUSION_REASONS.map((r) => `reason.${r}`),
      ...CAMPAIGN_STATUSES.map((s) => `campaign.status.${s}`),
    ];
    expect(keys.length).toBeGreaterThan(70);
    for (const key of keys) {
      expect((en as Record<string, string>)[key]?.trim(), key).toBeTruthy();
      expect((fr as Record<string, string>)[key]?.trim(), key).toBeTruthy();
    }
  });

  it('says a text of the core with its values, nested texts in the same language', () => {
    const text = { key: 'issue.name_not_sanitized', params: { clean: 'promo', changes: { key: 'name_change.accents' } } };
    expect(tr(text)).toBe('Meta accepts only lowercase letters, digits and _: use "promo" (accents removed).');
    setLocale('fr');
    expect(tr(text)).toBe('Meta n’accepte que les lettres minuscules, les chiffres et _ : utilisez « promo » (accents retirés).');
    expect(tr({ key: 'placeholder.empty' })).toContain('{{Clarice}}');
    setLocale('en');
    expect(tr({ key: 'verbatim', params: { text: 'as {it} is' } })).toBe('as {it} is');
    expect(tr({ key: 'a.key.of.a.newer.core', params: { id: 'c1' } })).toBe('c1');
  });

  it('follows a French system, English otherwise', () => {
    expect(systemLocale(['fr-CA', 'en'])).toBe('fr');
    expect(systemLocale(['de-DE', 'en-US'])).toBe('en');
    expect(systemLocale([])).toBe('en');
  });
});
