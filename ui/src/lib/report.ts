// The report's small rules, kept pure so they are tested on their own.
import type { CampaignRecipient, CampaignSummary, RecipientState, StateCounts } from './api';
import type { MessageKey } from './i18n/index.svelte';
import { REASON_LABEL, type CampaignShown } from './labels';

/** The states the report filters on, in the order they are shown. */
export const STATES: RecipientState[] = ['sent', 'failed', 'unknown', 'skipped', 'pending', 'sending'];

/** Why a recipient was skipped: its exclusion reason, or the campaign cancelled. */
export function reasonLabel(r: CampaignRecipient, t: (key: MessageKey) => string): string {
  if (r.cancelled) return t('report.cancelled');
  return r.reason ? t(REASON_LABEL[r.reason]) : '';
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

/** What the user can do with a campaign (the core says what may be done with it; this window
 * can still cancel what it sends itself). */
export function actions(
  c: CampaignSummary,
  sendingHere: boolean,
): { resume: boolean; cancel: boolean; retry: boolean; resendUnknown: boolean; start: boolean; reschedule: boolean } {
  return {
    resume: !sendingHere && c.can.resume,
    start: !sendingHere && c.can.start,
    reschedule: !sendingHere && c.can.reschedule,
    cancel: sendingHere || c.can.cancel,
    retry: !sendingHere && c.can.retry_failed,
    resendUnknown: !sendingHere && c.can.resend_unknown,
  };
}

/** How the history shows a campaign: `interrupted` when the core says so, else its status. */
export function shownStatus(c: CampaignSummary): CampaignShown {
  return c.interrupted ? 'interrupted' : c.status;
}
