// The campaign wizard's rules, kept pure so they are tested on their own.
import type { AudienceSummary, ExclusionReason, FieldInfo, IntegrationKind, LanguageChoice, LanguageValue, Library, LocalEntry, MessageSpec, Slot, TemplateStatus, ValueMapping } from './api';
import { EXCLUSION_REASONS } from './bindings';
import type { MessageKey } from './i18n/index.svelte';
import { groupByName } from './templates';

/** A template to send: its translations (every local template of its name, the first made
 * first), and whether one of them can be sent somewhere (the core says which: `sendable`). */
export interface TemplateChoice {
  name: string;
  translations: LocalEntry[];
  ready: boolean;
}

/** The local templates, one per name, those that can be sent first. */
export function templateChoices(lib: Library): TemplateChoice[] {
  return groupByName(lib.local)
    .map((g) => ({ ...g, ready: g.translations.some((e) => e.states.some((s) => s.sendable)) }))
    .sort((a, b) => Number(b.ready) - Number(a.ready));
}

/** The translation a campaign starts from (its default language): the first made, unless it
 * cannot be sent anywhere and another can. */
export function defaultTranslation(choice: TemplateChoice): LocalEntry | undefined {
  const sendable = (e: LocalEntry) => e.states.some((s) => s.sendable);
  const main = choice.translations[0];
  return main && sendable(main) ? main : (choice.translations.find(sendable) ?? main);
}

/** An integration a template may go through, for the translation `templateId` names. */
export interface IntegrationChoice {
  integration_id: string;
  integration_name: string;
  kind: IntegrationKind | null;
  /** That translation's status there. */
  status: TemplateStatus;
  /** It can be sent there: that translation, or with each recipient's language any of them
   * (as the core decides: the others fall back to the default, or are left out). */
  sendable: boolean;
}

export function integrationChoices(choice: TemplateChoice, templateId: string | null, language: LanguageChoice): IntegrationChoice[] {
  const chosen = choice.translations.find((e) => e.draft.id === templateId);
  const out = new Map<string, IntegrationChoice>();
  for (const e of choice.translations) {
    for (const s of e.states) {
      const mine = chosen?.states.find((x) => x.integration_id === s.integration_id);
      const seen = out.get(s.integration_id);
      out.set(s.integration_id, {
        integration_id: s.integration_id,
        integration_name: s.integration_name,
        kind: s.kind,
        status: mine?.status ?? 'NOT_SUBMITTED',
        sendable: (mine?.sendable ?? false) || (language === 'each' && (s.sendable || (seen?.sendable ?? false))),
      });
    }
  }
  return [...out.values()];
}

/** The chosen template's translations, as the wizard keeps them. */
export function translationsOf(lib: Library, templateId: string): { id: string; language: string }[] {
  const name = lib.local.find((e) => e.draft.id === templateId)?.draft.template.name;
  if (name === undefined) return [];
  const group = groupByName(lib.local).find((g) => g.name === name);
  return (group?.translations ?? []).map((e) => ({ id: e.draft.id, language: e.draft.template.language }));
}

/** What the wizard has chosen so far. */
export interface Chosen {
  templateId: string;
  integrationId: string;
  mapping: ValueMapping[];
  language: LanguageChoice;
  translations: { id: string; language: string }[];
  languageValues: LanguageValue[];
  /** The values the mapping is for, in order (the slots' examples). */
  mappingNames: string[];
}

/** The message a campaign sends. Values given per language go for another translation than
 * the default, for a value mapped to a static text, and when they say something (empty: the
 * default's text) — with one language for everyone too: the blackout knows the message by the
 * template's first translation's values, so a campaign in French alone is the same message as
 * one in each recipient's language. */
export function messageSpec(c: Chosen): MessageSpec {
  const main = c.translations.find((x) => x.id === c.templateId)?.language;
  const others = new Set(c.translations.map((x) => x.language).filter((l) => l !== main));
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const isStatic = (name: string) => c.mappingNames.some((n, i) => same(n, name) && c.mapping[i]?.source.kind === 'static');
  const language_values = c.languageValues
    .filter((v) => others.has(v.language) && v.value.trim() !== '' && isStatic(v.name))
    .map((v) => ({ ...v }));
  return { template_id: c.templateId, integration_id: c.integrationId, mapping: c.mapping, language: c.language, language_values };
}

/** A mapping made for one translation's values (`names`), carried to another's slots by name;
 * null when there is nothing to carry or a value has no mapping. */
export function carryMapping(slots: Slot[], mapping: ValueMapping[], names: string[]): ValueMapping[] | null {
  if (mapping.length === 0) return null;
  if (names.length !== mapping.length) return mapping.length === slots.length ? initialMapping(slots, mapping) : null;
  const at = slots.map((s) => names.findIndex((n) => n.toLowerCase() === s.example.toLowerCase()));
  const carried = at.map((i) => mapping[i]);
  if (carried.some((m) => m === undefined)) return null;
  return initialMapping(slots, carried as ValueMapping[]);
}

/** Every exclusion reason, in the core's order. */
export const REASONS: readonly ExclusionReason[] = EXCLUSION_REASONS;

export function excludedTotal(s: AudienceSummary): number {
  return s.excluded.reduce((n, c) => n + c.count, 0);
}

/** The mapping a wizard starts from: one empty entry per slot, or what was kept for it. */
export function initialMapping(slots: Slot[], kept: ValueMapping[] | null): ValueMapping[] {
  if (kept && kept.length === slots.length) return kept.map((m) => ({ ...m, source: { ...m.source } }));
  return slots.map(() => ({ source: { kind: 'field', key: '', date_format: '' }, fallback: '' }));
}

/** Every value has a field or a non-empty static text. */
export function mappingComplete(mapping: ValueMapping[]): boolean {
  return mapping.every((m) => (m.source.kind === 'static' ? m.source.value.trim() !== '' : m.source.key !== ''));
}

/** Date formats offered for date fields (chrono's strftime). */
export const DATE_FORMATS = ['', '%d/%m/%Y', '%m/%d/%Y', '%-d %B %Y', '%B %-d, %Y', '%d.%m.%Y'];

/** What `format` makes of 31 March 2024, to label the choices. */
export function dateExample(format: string): string {
  const d = { '%d': '31', '%m': '03', '%Y': '2024', '%-d': '31', '%B': 'March' } as Record<string, string>;
  if (format === '') return '2024-03-31';
  return format.replace(/%-?[a-zA-Z]/g, (m) => d[m] ?? m);
}

export function isDate(fields: FieldInfo[], key: string): boolean {
  return fields.find((f) => f.key === key)?.kind === 'date';
}

/** The Zendesk user search syntax, as the cheat sheet shows it: [example, message key]. */
export const CHEAT_SHEET: [string, MessageKey][] = [
  ['role:end-user', 'audience.cheat.role'],
  ['tags:vip', 'audience.cheat.tag'],
  ['-tags:opt_out', 'audience.cheat.not'],
  ['tags:vip plan:gold', 'audience.cheat.and'],
  ['tags:vip tags:gold', 'audience.cheat.or'],
  ['created>2024-01-01', 'audience.cheat.date'],
  ['organization:acme', 'audience.cheat.org'],
  ['-phone:none', 'audience.cheat.any'],
  ['name:jo*', 'audience.cheat.prefix'],
  ['created>6months', 'audience.cheat.relative'],
  ['plan:gold', 'audience.cheat.field'],
];

/** The rows a virtualized table shows for a scroll position (with a margin either side). */
export function visibleRange(scrollTop: number, height: number, rowHeight: number, total: number, margin = 10): [number, number] {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - margin);
  const last = Math.min(total, Math.ceil((scrollTop + height) / rowHeight) + margin);
  return [first, Math.max(first, last)];
}

/** The default language changes from `from` to `to`: each static text given in `to` becomes the
 * mapping's text, and the mapping's text becomes the one given in `from` (what was written for
 * each language stays with it). */
export function swapDefault(
  mapping: ValueMapping[],
  names: string[],
  values: LanguageValue[],
  from: string,
  to: string,
): { mapping: ValueMapping[]; values: LanguageValue[] } {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  let out = values.map((v) => ({ ...v }));
  const next = mapping.map((m, i) => {
    const name = names[i];
    const given = name === undefined ? undefined : out.find((v) => v.language === to && same(v.name, name));
    if (m.source.kind !== 'static' || name === undefined || !given) return { ...m, source: { ...m.source } };
    return { ...m, source: { kind: 'static' as const, value: given.value } };
  });
  const done = new Set<string>();
  names.forEach((name, i) => {
    const m = mapping[i];
    if (done.has(name.toLowerCase()) || m?.source.kind !== 'static' || !values.some((v) => v.language === to && same(v.name, name))) return;
    done.add(name.toLowerCase());
    out = out.filter((v) => !same(v.name, name) || (v.language !== to && v.language !== from));
    if (m.source.value.trim() !== '') out.push({ language: from, name, value: m.source.value });
  });
  return { mapping: next, values: out };
}
