// What a screen reader hears of a campaign's progress (a polite live region): a sentence with the
// counts, said again when the status changes, and otherwise at most every few seconds: a send
// reports progress many times a second, and each change of a live region is read.
import type { StateCounts } from './api';
import { t } from './i18n/index.svelte';
import { CAMPAIGN_STATUS_LABEL, type CampaignShown } from './labels';

/** How often, at most, progress is said while the status stays the same. */
export const ANNOUNCE_EVERY_MS = 5000;

/** "Sending: 1,200 of 5,000 sent, 0 failed", "Campaign completed: 5,000 sent, 0 failed"… */
export function progressText(status: CampaignShown, counts: StateCounts): string {
  const n = (v: number) => v.toLocaleString();
  // Who is to be sent a message: the skipped never will be.
  const total = counts.pending + counts.sending + counts.sent + counts.failed + counts.unknown;
  const values = { sent: n(counts.sent), failed: n(counts.failed), total: n(total) };
  if (status === 'running') return t('announce.running', values);
  if (status === 'completed') return t('announce.completed', values);
  return t('announce.status', { ...values, status: t(CAMPAIGN_STATUS_LABEL[status]) });
}

/** Says texts through `say`: the first at once, one under a new `key` (a status) at once, the
 * others no more often than every `every` ms (the latest one wins, said when the time comes). */
export class Throttle {
  private last = -Infinity;
  private key: unknown = undefined;
  private said: string | null = null;
  private pending: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly say: (text: string) => void,
    private readonly every = ANNOUNCE_EVERY_MS,
    private readonly now: () => number = () => Date.now(),
  ) {}

  push(text: string, key: unknown = undefined): void {
    const changed = key !== this.key;
    this.key = key;
    if (text === this.said && !changed) {
      this.cancel();
      return;
    }
    const wait = this.last + this.every - this.now();
    if (changed || wait <= 0) {
      this.cancel();
      this.emit(text);
      return;
    }
    this.pending = text;
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const next = this.pending;
        this.pending = null;
        if (next !== null && next !== this.said) this.emit(next);
      }, wait);
    }
  }

  /** Stops what waits to be said (the view goes away). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = null;
  }

  private emit(text: string): void {
    this.last = this.now();
    this.said = text;
    this.say(text);
  }
}
