import { describe, expect, it } from 'vitest';
import { dateExample, initialMapping, mappingComplete, templateChoices, visibleRange } from './campaign';
import type { Library, Slot } from './api';
import { templateState } from '../test/fixtures';

describe('campaign wizard rules', () => {
  it('offers the templates that can be sent first, and only their approved or ready integrations', () => {
    const tpl = (name: string) => ({ name, integrations: [], category: 'UTILITY' as const, language: 'en', header: { kind: 'none' as const, text: '', url: '' }, body: 'x', footer: '', buttons: [] });
    // `sendable` is the core's verdict: the list follows it.
    const lib: Library = {
      local: [
        { draft: { id: 'a', template: tpl('draft_only'), created_at: '1', updated_at: '1' }, states: [templateState('wa', 'wa', 'whatsapp', 'PENDING')] },
        { draft: { id: 'b', template: tpl('approved'), created_at: '1', updated_at: '1' }, states: [templateState('wa', 'wa', 'whatsapp', 'APPROVED'), templateState('tw', 'tw', 'twilio', 'NOT_SUBMITTED')] },
        { draft: { id: 'c', template: tpl('sms'), created_at: '1', updated_at: '1' }, states: [templateState('tw', 'tw', 'twilio', 'READY')] },
      ],
      remote: [],
      syncs: [],
    };
    const choices = templateChoices(lib);
    expect(choices.map((c) => c.entry.draft.id)).toEqual(['b', 'c', 'a']);
    expect(choices[0]?.ready.map((s) => s.integration_id)).toEqual(['wa']);
    expect(choices[2]?.ready).toEqual([]);
  });

  it('knows when every dynamic value is mapped, and keeps a mapping only for the same slots', () => {
    const slots: Slot[] = [
      { component: 'body', position: 1, example: 'Ann', first: 0 },
      { component: 'body', position: 2, example: 'Gold', first: 1 },
    ];
    const fresh = initialMapping(slots, null);
    expect(fresh).toHaveLength(2);
    expect(mappingComplete(fresh)).toBe(false);
    const done = [
      { source: { kind: 'field' as const, key: 'first_name', date_format: '' }, fallback: '' },
      { source: { kind: 'static' as const, value: 'Gold' }, fallback: '' },
    ];
    expect(mappingComplete(done)).toBe(true);
    expect(mappingComplete([...done.slice(0, 1), { source: { kind: 'static', value: '  ' }, fallback: '' }])).toBe(false);
    expect(initialMapping(slots, done)).toEqual(done);
    expect(initialMapping(slots.slice(0, 1), done)).toHaveLength(1);
    expect(initialMapping(slots.slice(0, 1), done)[0]?.source).toEqual({ kind: 'field', key: '', date_format: '' });
  });

  it('labels date formats with an example', () => {
    expect(dateExample('')).toBe('2024-03-31');
    expect(dateExample('%d/%m/%Y')).toBe('31/03/2024');
    expect(dateExample('%B %-d, %Y')).toBe('March 31, 2024');
  });

  it('puts in the page only the rows in view, with a margin', () => {
    expect(visibleRange(0, 420, 36, 1_000_000)).toEqual([0, 22]);
    expect(visibleRange(36 * 500_000, 420, 36, 1_000_000)).toEqual([499_990, 500_022]);
    expect(visibleRange(0, 420, 36, 3)).toEqual([0, 3]);
    expect(visibleRange(0, 420, 36, 0)).toEqual([0, 0]);
  });
});
