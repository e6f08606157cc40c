// The campaign wizard's rules, kept pure so they are tested on their own.
import type { AudienceSummary, ExclusionReason, FieldInfo, Library, LocalEntry, Slot, TemplateState, ValueMapping } from './api';
import { EXCLUSION_REASONS } from './bindings';
import type { MessageKey } from './i18n/index.svelte';

/** The local templates, those with an integration they can be sent through (the core says
 * which: `sendable`) first. */
export function templateChoices(lib: Library): { entry: LocalEntry; ready: TemplateState[] }[] {
  return lib.local
    .map((entry) => ({ entry, ready: entry.states.filter((s) => s.sendable) }))
    .sort((a, b) => Number(b.ready.length > 0) - Number(a.ready.length > 0));
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
