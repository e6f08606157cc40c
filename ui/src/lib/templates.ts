// The template list's search and filters, kept pure so they are tested on their own.
import type { Library, LocalEntry, RemoteEntry, TemplateState } from './api';
import type { MessageKey } from './i18n/index.svelte';

export type StatusFilter = 'all' | 'not_submitted' | 'pending' | 'approved' | 'rejected' | 'ready';
export type ChannelFilter = 'all' | 'whatsapp' | 'sms';

export interface Filters {
  query: string;
  status: StatusFilter;
  channel: ChannelFilter;
}

const STATUS_OF: Record<Exclude<StatusFilter, 'all'>, string[]> = {
  not_submitted: ['NOT_SUBMITTED', 'MISSING'],
  pending: ['PENDING', 'IN_APPEAL', 'PENDING_DELETION'],
  approved: ['APPROVED'],
  rejected: ['REJECTED', 'PAUSED', 'DISABLED', 'LIMIT_EXCEEDED'],
  ready: ['READY'],
};

function channelOf(kind: string): ChannelFilter {
  return kind === 'whatsapp' ? 'whatsapp' : 'sms';
}

function statesMatch(states: { kind: string; status: string }[], f: Filters): boolean {
  const relevant = f.channel === 'all' ? states : states.filter((s) => s.kind !== '' && channelOf(s.kind) === f.channel);
  if (f.channel !== 'all' && relevant.length === 0) return false;
  const wanted = f.status;
  if (wanted === 'all') return true;
  // A local template with no integration yet is a plain draft: "not submitted".
  if (relevant.length === 0) return wanted === 'not_submitted';
  return relevant.some((s) => STATUS_OF[wanted].includes(s.status));
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
    (r) => textMatch(f.query, r.name, r.body, r.language, r.integration_name) && statesMatch([{ kind: 'whatsapp', status: r.status }], f),
  );
}

/** When the WhatsApp templates were last synced: the oldest integration's sync, or null. */
export function lastSynced(lib: Library): number | null {
  if (lib.syncs.length === 0 || lib.syncs.some((s) => s.synced_at === null)) return null;
  return Math.min(...lib.syncs.map((s) => Number(s.synced_at)));
}

const LABELS: Record<string, MessageKey> = {
  NOT_SUBMITTED: 'status.NOT_SUBMITTED',
  READY: 'status.READY',
  MISSING: 'status.MISSING',
  PENDING: 'status.PENDING',
  APPROVED: 'status.APPROVED',
  REJECTED: 'status.REJECTED',
  PAUSED: 'status.PAUSED',
  DISABLED: 'status.DISABLED',
};

/** The message key of a status, or null for one this version does not know (shown as is). */
export function statusLabel(status: string): MessageKey | null {
  return LABELS[status] ?? null;
}

/** A colour class for a status chip. */
export function statusTone(status: string): 'ok' | 'warn' | 'bad' | 'idle' {
  if (status === 'APPROVED' || status === 'READY') return 'ok';
  if (status === 'PENDING' || status === 'IN_APPEAL') return 'warn';
  if (status === 'NOT_SUBMITTED') return 'idle';
  return 'bad';
}

/** The WhatsApp states that exist on Meta's side (a delete there blocks the name 30 days). */
export function onWhatsApp(states: TemplateState[]): TemplateState[] {
  return states.filter((s) => s.kind === 'whatsapp' && s.status !== 'NOT_SUBMITTED' && s.status !== 'MISSING');
}
