import { en, type MessageKey } from './en';
import { fr } from './fr';

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
