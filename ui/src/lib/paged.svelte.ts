// The rows of a virtualized table: only the rows in view (and a margin) are rendered, fetched a
// page at a time as they scroll into view, so a table of a million rows scrolls like one of ten.
// Used by the audience's member table and the campaign report.
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { errorText } from './api';
import { visibleRange } from './campaign';

export const ROW_HEIGHT = 36;
const PAGE = 100;

export class PagedRows<T> {
  total = $state(0);
  scrollTop = $state(0);
  error = $state('');
  readonly pages = new SvelteMap<number, T[]>();
  readonly #loading = new SvelteSet<number>();
  #generation = 0;
  readonly #fetch: (offset: number, limit: number) => Promise<{ total: number; rows: T[] }>;
  readonly height: number;

  /** `fetch` reads the table's current inputs (filter, ids) each time it is called. */
  constructor(fetch: (offset: number, limit: number) => Promise<{ total: number; rows: T[] }>, height: number) {
    this.#fetch = fetch;
    this.height = height;
  }

  readonly range = $derived.by(() => visibleRange(this.scrollTop, this.height, ROW_HEIGHT, this.total));

  /** The rows in view: each with its index, and its data once its page has come. */
  readonly rows = $derived.by(() => {
    const out: { index: number; row: T | null }[] = [];
    for (let i = this.range[0]; i < this.range[1]; i++) out.push({ index: i, row: this.pages.get(Math.floor(i / PAGE))?.[i % PAGE] ?? null });
    return out;
  });

  /** The pages the rows in view fall in. */
  #visiblePages(): number[] {
    const [first, last] = this.range;
    const out: number[] = [];
    for (let p = Math.floor(first / PAGE); p <= Math.floor(Math.max(first, last - 1) / PAGE); p++) out.push(p);
    return out;
  }

  async #load(page: number, gen: number): Promise<void> {
    if (this.#loading.has(page)) return;
    this.#loading.add(page);
    try {
      const res = await this.#fetch(page * PAGE, PAGE);
      if (gen !== this.#generation) return;
      this.total = res.total;
      this.pages.set(page, res.rows);
      this.error = '';
    } catch (e) {
      if (gen === this.#generation) this.error = errorText(e);
    } finally {
      this.#loading.delete(page);
    }
  }

  /** Starts again from the top (new inputs): everything loaded is dropped. */
  restart(): void {
    this.#generation += 1;
    this.#loading.clear();
    this.pages.clear();
    this.scrollTop = 0;
    void this.#load(0, this.#generation);
  }

  /** Reloads the pages in view in place (the rows changed), without blanking them. */
  refresh(): void {
    this.#generation += 1;
    this.#loading.clear();
    const keep = this.#visiblePages();
    for (const p of [...this.pages.keys()]) if (!keep.includes(p)) this.pages.delete(p);
    for (const p of keep) void this.#load(p, this.#generation);
  }

  /** Loads the pages in view not loaded yet (call from an effect that reads `range`). */
  fill(): void {
    if (this.total === 0) return;
    for (const p of this.#visiblePages()) if (!this.pages.has(p)) void this.#load(p, this.#generation);
  }
}
