import { en, type MessageKey } from './en';
import { fr } from './fr';
import type { Param, Text } from '../bindings';

export type Locale = 'en' | 'fr';
export type { MessageKey };

const catalogs: Record<Locale, Record<MessageKey, string>> = { en, fr };

/** The active locale; reading it inside a component makes the component follow changes. */
export const i18n = $state<{ locale: Locale }>({ locale: 'en' });

/** The system's preferred locale: French when the system language is French, else English. */
export function systemLocale(languages: readonly string[] = navigator.languages ?? [navigator.language]): Locale {
  return languages.some((l) => l.toLowerCase().startsWith('fr')) ? 'fr' : 'en';
}

export function setLocale(locale: Locale): void {
  i18n.locale = locale;
  document.documentElement.lang = locale;
}

/** Translates a key, replacing `{name}` placeholders with `params.name`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = catalogs[i18n.locale][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

function isKey(key: string): key is MessageKey {
  return key in en;
}

/** Says a message of the core (a `Text`: a key and its values, some of them texts) in the
 * active language, as `Text::render` does in Rust: placeholders are lowercase names, so an
 * example such as `{{Clarice}}` stays as it is. A key this window does not know (a newer core)
 * falls back to its values, never to nothing. */
export function tr(text: Text): string {
  const params = text.params ?? {};
  const value = (p: Param | undefined): string | undefined =>
    p === undefined ? undefined : typeof p === 'string' ? p : tr(p);
  if (!isKey(text.key)) {
    return Object.values(params).map(value).join(' ') || text.key;
  }
  const template = catalogs[i18n.locale][text.key] ?? en[text.key];
  return template.replace(/\{([a-z0-9_]+)\}/g, (whole, name: string) => value(params[name]) ?? whole);
}
