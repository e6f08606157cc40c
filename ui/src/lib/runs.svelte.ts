// The campaigns this window is sending, and where the Campaigns screen is. A send runs in Rust;
// this keeps its latest progress so that any screen can show it, and it goes on when the user
// leaves the screen (or closes the window: Rust asks first).
import { SvelteMap } from 'svelte/reactivity';
import { api, errorText, type CampaignProgress, type CampaignSummary } from './api';

export type CampaignsView = { kind: 'new' } | { kind: 'history' } | { kind: 'campaign'; id: string };

export const campaigns = $state<{
  view: CampaignsView;
  /** Bumped whenever a send ends: views reload what they show. */
  version: number;
}>({ view: { kind: 'new' }, version: 0 });

/** Latest progress of each campaign sent from this window, by id. */
export const live = new SvelteMap<string, CampaignProgress>();
/** Why a send stopped with an error, by id. */
export const runErrors = new SvelteMap<string, string>();
/** How each send from this window ended, until the campaign's page has read it again. */
export const finals = new SvelteMap<string, CampaignSummary>();

/** Whether this window is sending campaign `id`. */
export function sending(id: string): boolean {
  return live.has(id);
}

/** Starts (or resumes) sending campaign `id` and opens its view. Resolves when the send ends. */
export async function startRun(id: string): Promise<CampaignSummary | null> {
  if (sending(id)) return null;
  campaigns.view = { kind: 'campaign', id };
  runErrors.delete(id);
  live.set(id, {
    campaign_id: id,
    counts: { pending: 0, sending: 0, sent: 0, failed: 0, skipped: 0, unknown: 0 },
    rate: 0,
    eta_secs: null,
    status: 'running',
    provider_wait_secs: null,
  });
  // A progress message may arrive after the send's answer: it is then ignored.
  let ended = false;
  try {
    const result = await api.runCampaign(id, (p) => {
      if (!ended) live.set(id, p);
    });
    finals.set(id, result);
    return result;
  } catch (e) {
    runErrors.set(id, errorText(e));
    return null;
  } finally {
    ended = true;
    live.delete(id);
    campaigns.version += 1;
  }
}

/** Reloads the campaigns' views when they change on their own (a scheduled campaign started, a
 * waiting one went on, one was missed: the app's schedule). Resolves once listening. */
export async function watchCampaignChanges(): Promise<void> {
  await api.watchCampaigns(() => {
    campaigns.version += 1;
  });
}

/** What share of a campaign is done (sent, failed, skipped or unknown), 0..1. */
export function doneShare(c: { pending: number; sending: number; sent: number; failed: number; skipped: number; unknown: number }): number {
  const total = c.pending + c.sending + c.sent + c.failed + c.skipped + c.unknown;
  return total === 0 ? 0 : (c.sent + c.failed + c.skipped + c.unknown) / total;
}

/** A duration in seconds as "1 h 05 min", "3 min 20 s" or "12 s". */
export function duration(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${s} s`;
}

/** How long `count` messages take at `rate` per second. */
export function estimate(count: number, rate: number): number {
  return rate > 0 ? count / rate : 0;
}
