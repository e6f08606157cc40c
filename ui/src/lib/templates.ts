// The template list's search and filters, kept pure so they are tested on their own.
import type { Library, LocalEntry, MessageChannel, RemoteEntry, TemplateStage, TemplateState } from './api';

/** The stage a list is filtered on (the core says each state's stage), or every one. */
export type StatusFilter = 'all' | TemplateStage;
export type ChannelFilter = 'all' | MessageChannel;

export interface Filters {
  query: string;
  status: StatusFilter;
  channel: ChannelFilter;
}

function statesMatch(states: { channel: MessageChannel | null; stage: TemplateStage }[], f: Filters): boolean {
  const relevant = f.channel === 'all' ? states : states.filter((s) => s.channel === f.channel);
  if (f.channel !== 'all' && relevant.length === 0) return false;
  const wanted = f.status;
  if (wanted === 'all') return true;
  // A local template with no integration yet is a plain draft: "not submitted".
  if (relevant.length === 0) return wanted === 'not_submitted';
  return relevant.some((s) => s.stage === wanted);
}

function textMatch(q: string, ...texts: string[]): boolean {
  const needle = q.trim().toLowerCase();
  return needle === '' || texts.some((t) => t.toLowerCase().includes(needle));
}

export function filterLocal(entries: LocalEntry[], f: Filters): LocalEntry[] {
  return entries.filter(
    (e) => textMatch(f.query, e.draft.template.name, e.draft.template.body, e.draft.template.language) && statesMatch(e.states, f),
  );
}

export function filterRemote(entries: RemoteEntry[], f: Filters): RemoteEntry[] {
  return entries.filter(
    (r) => textMatch(f.query, r.name, r.body, r.language, r.integration_name) && statesMatch([{ channel: 'whatsapp', stage: r.stage }], f),
  );
}

/** When the WhatsApp templates were last synced: the oldest integration's sync, or null. */
export function lastSynced(lib: Library): number | null {
  if (lib.syncs.length === 0 || lib.syncs.some((s) => s.synced_at === null)) return null;
  return Math.min(...lib.syncs.map((s) => Number(s.synced_at)));
}

/** The WhatsApp states that exist on Meta's side (a delete there blocks the name 30 days). */
export function onWhatsApp(states: TemplateState[]): TemplateState[] {
  return states.filter((s) => s.on_whatsapp);
}

/** A template and its translations: every local template of one name, the first made first
 * (the main language). */
export interface TemplateGroup {
  name: string;
  translations: LocalEntry[];
}

/** Time of creation, for ordering (milliseconds as text). */
const made = (e: LocalEntry): number => Number(e.draft.created_at) || 0;

/** The entries grouped by name, each group where its first entry was in the list, its
 * translations the first made first. */
export function groupByName(entries: LocalEntry[]): TemplateGroup[] {
  const groups = new Map<string, LocalEntry[]>();
  for (const e of entries) {
    const list = groups.get(e.draft.template.name);
    if (list) list.push(e);
    else groups.set(e.draft.template.name, [e]);
  }
  // As the core orders them: by creation, then by id.
  const order = (a: LocalEntry, b: LocalEntry) => made(a) - made(b) || (a.draft.id < b.draft.id ? -1 : a.draft.id > b.draft.id ? 1 : 0);
  return [...groups].map(([name, list]) => ({ name, translations: [...list].sort(order) }));
}
