import { describe, expect, it } from 'vitest';
import { carryMapping, dateExample, defaultTranslation, initialMapping, integrationChoices, mappingComplete, messageSpec, swapDefault, templateChoices, visibleRange, type Chosen } from './campaign';
import type { Library, LocalEntry, Slot, TemplateState, ValueMapping } from './api';
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
    expect(choices.map((c) => c.translations[0]?.draft.id)).toEqual(['b', 'c', 'a']);
    expect(choices.map((c) => c.ready)).toEqual([true, true, false]);
    const b = choices[0];
    expect(b && integrationChoices(b, 'b', 'one').map((i) => [i.integration_id, i.sendable])).toEqual([['wa', true], ['tw', false]]);
  });

  it('offers a template once with its translations, the first made being the default unless it cannot be sent', () => {
    const tr = (id: string, language: string, created: string, states: TemplateState[]): LocalEntry => ({
      draft: { id, template: { name: 'renewal', integrations: [], category: 'UTILITY', language, header: { kind: 'none', text: '', url: '' }, body: 'x', footer: '', buttons: [] }, created_at: created, updated_at: created },
      states,
    });
    const lib: Library = {
      local: [
        tr('fr', 'fr', '20', [templateState('wa', 'WA', 'whatsapp', 'APPROVED')]),
        tr('en', 'en_US', '10', [templateState('wa', 'WA', 'whatsapp', 'PENDING')]),
      ],
      remote: [],
      syncs: [],
    };
    const [c] = templateChoices(lib);
    if (!c) throw new Error('no choice');
    // One choice for the name; its translations by creation: en_US is the main language.
    expect(c.translations.map((e) => e.draft.id)).toEqual(['en', 'fr']);
    // ...but only fr can be sent, so fr is the default a campaign starts from.
    expect(defaultTranslation(c)?.draft.id).toBe('fr');
    // One language (en_US, in review) cannot go through wa; each recipient's can (fr is approved).
    expect(integrationChoices(c, 'en', 'one')).toMatchObject([{ integration_id: 'wa', sendable: false, status: 'PENDING' }]);
    expect(integrationChoices(c, 'en', 'each')).toMatchObject([{ integration_id: 'wa', sendable: true, status: 'PENDING' }]);
  });

  const mapped = (value: string): ValueMapping => ({ source: { kind: 'static', value }, fallback: '' });
  const field: ValueMapping = { source: { kind: 'field', key: 'first_name', date_format: '' }, fallback: '' };

  it('sends the values given per language only with each recipient\'s language, for static values of the other translations', () => {
    const chosen: Chosen = {
      templateId: 'en',
      integrationId: 'wa',
      mapping: [field, mapped('Friday')],
      mappingNames: ['Ann', 'Friday'],
      language: 'each',
      translations: [{ id: 'en', language: 'en_US' }, { id: 'fr', language: 'fr' }, { id: 'de', language: 'de' }],
      languageValues: [
        { language: 'fr', name: 'friday', value: 'vendredi' },
        { language: 'de', name: 'Friday', value: '  ' },
        { language: 'en_US', name: 'Friday', value: 'Fri' },
        { language: 'fr', name: 'Ann', value: 'Anne' },
        { language: 'es', name: 'Friday', value: 'viernes' },
      ],
    };
    // Kept: fr's Friday. Left out: an empty one (the default's text), the default's own
    // language, a value mapped to a field, a language the template has not.
    expect(messageSpec(chosen)).toEqual({
      template_id: 'en',
      integration_id: 'wa',
      mapping: [field, mapped('Friday')],
      language: 'each',
      language_values: [{ language: 'fr', name: 'friday', value: 'vendredi' }],
    });
    // One language for everyone keeps them too: the blackout knows the message by the template's
    // first translation's values, whichever is sent.
    expect(messageSpec({ ...chosen, language: 'one' }).language_values).toEqual([{ language: 'fr', name: 'friday', value: 'vendredi' }]);
  });

  it('carries a mapping to another translation by value name, and swaps the texts when the default language changes', () => {
    const slots: Slot[] = [
      { component: 'body', position: 1, example: 'vendredi', first: 0 },
      { component: 'body', position: 2, example: 'ann', first: 1 },
    ];
    expect(carryMapping(slots, [field, mapped('Friday')], ['Ann', 'Vendredi'])).toEqual([mapped('Friday'), field]);
    expect(carryMapping(slots, [field, mapped('Friday')], ['Ann', 'Monday'])).toBeNull();
    expect(carryMapping(slots, [], [])).toBeNull();
    const swapped = swapDefault([field, mapped('Friday')], ['Ann', 'Day'], [{ language: 'fr', name: 'day', value: 'vendredi' }, { language: 'de', name: 'Day', value: 'Freitag' }], 'en_US', 'fr');
    expect(swapped.mapping).toEqual([field, mapped('vendredi')]);
    expect(swapped.values).toEqual([{ language: 'de', name: 'Day', value: 'Freitag' }, { language: 'en_US', name: 'Day', value: 'Friday' }]);
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
