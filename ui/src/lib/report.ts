// The report's small rules, kept pure so they are tested on their own.
import type { CampaignSummary, RecipientState, StateCounts } from './api';
import { REASONS, reasonKey } from './campaign';
import type { MessageKey } from './i18n/index.svelte';
import type { Reason } from './api';

/** The states the report filters on, in the order they are shown. */
export const STATES: RecipientState[] = ['sent', 'failed', 'unknown', 'skipped', 'pending', 'sending'];

export function stateTone(state: RecipientState): string {
  switch (state) {
    case 'sent':
      return 'ok';
    case 'failed':
      return 'bad';
    case 'unknown':
      return 'warn';
    default:
      return 'idle';
  }
}

/** Why a recipient was skipped: an audience reason, or `cancelled`. */
export function reasonLabel(reason: string, t: (key: MessageKey) => string): string {
  if (reason === 'cancelled') return t('report.cancelled');
  return (REASONS as readonly string[]).includes(reason) ? t(reasonKey(reason as Reason)) : reason;
}

/** A time in milliseconds since the epoch (as text), in the user's locale. */
export function when(ms: string | null | undefined): string {
  if (!ms) return '';
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

export function total(c: StateCounts): number {
  return c.pending + c.sending + c.sent + c.failed + c.skipped + c.unknown;
}

/** What the user can do with a campaign that is not being sent. */
export function actions(c: CampaignSummary, sendingHere: boolean): { resume: boolean; cancel: boolean; retry: boolean; resendUnknown: boolean } {
  const open = c.status === 'ready' || c.status === 'paused' || (c.status === 'running' && !c.running);
  return {
    resume: !sendingHere && !c.running && open && c.counts.pending + c.counts.sending > 0,
    cancel: sendingHere || (!c.running && open),
    retry: !sendingHere && !c.running && c.counts.failed > 0,
    resendUnknown: !sendingHere && !c.running && c.counts.unknown > 0,
  };
}

/** The colour of a campaign's status. */
export function campaignTone(status: string): string {
  switch (status) {
    case 'completed':
      return 'ok';
    case 'paused':
      return 'warn';
    case 'cancelled':
      return 'bad';
    default:
      return 'idle';
  }
}
