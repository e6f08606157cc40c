import { describe, expect, it } from 'vitest';
import type { IntegrationKind, Library, LocalEntry, RemoteEntry, Template, TemplateStatus } from './api';
import { filterLocal, filterRemote, groupByName, lastSynced, onWhatsApp, type Filters } from './templates';
import { remoteEntry, templateState } from '../test/fixtures';

function tpl(name: string, body: string): Template {
  return { name, integrations: [], category: 'UTILITY', language: 'en_US', header: { kind: 'none', text: '', url: '' }, body, footer: '', buttons: [] };
}

function entry(name: string, body: string, states: [IntegrationKind, TemplateStatus][]): LocalEntry {
  return {
    draft: { id: name, template: tpl(name, body), created_at: '1', updated_at: '1' },
    states: states.map(([kind, status]) => templateState(kind + status, kind, kind, status)),
  };
}

const local = [
  entry('draft_only', 'Nothing yet', []),
  entry('order_shipped', 'Your order ships', [['whatsapp', 'APPROVED'], ['twilio', 'READY']]),
  entry('promo', 'Big sale', [['whatsapp', 'PENDING']]),
  entry('bad_one', 'Free money', [['whatsapp', 'REJECTED']]),
  entry('gone', 'Was deleted', [['whatsapp', 'MISSING']]),
];
const remote: RemoteEntry[] = [
  remoteEntry({ integration_id: 'w', integration_name: 'WhatsApp Marketing', name: 'welcome', language: 'fr', category: 'MARKETING', status: 'APPROVED', reason: null, body: 'Bienvenue {{1}}' }),
];
const f = (patch: Partial<Filters>): Filters => ({ query: '', status: 'all', channel: 'all', ...patch });
const names = (l: LocalEntry[]) => l.map((e) => e.draft.template.name);

describe('template filters', () => {
  it('searches names and bodies, case-insensitively', () => {
    expect(names(filterLocal(local, f({ query: 'ORDER' })))).toEqual(['order_shipped']);
    expect(names(filterLocal(local, f({ query: 'sale' })))).toEqual(['promo']);
    expect(filterRemote(remote, f({ query: 'marketing' }))).toHaveLength(1);
    expect(filterRemote(remote, f({ query: 'nope' }))).toHaveLength(0);
  });

  it('filters by status, plain drafts and missing ones counting as not submitted', () => {
    expect(names(filterLocal(local, f({ status: 'not_submitted' })))).toEqual(['draft_only', 'gone']);
    expect(names(filterLocal(local, f({ status: 'approved' })))).toEqual(['order_shipped']);
    expect(names(filterLocal(local, f({ status: 'pending' })))).toEqual(['promo']);
    expect(names(filterLocal(local, f({ status: 'rejected' })))).toEqual(['bad_one']);
    expect(names(filterLocal(local, f({ status: 'ready' })))).toEqual(['order_shipped']);
    expect(filterRemote(remote, f({ status: 'pending' }))).toHaveLength(0);
  });

  it('filters by channel, combined with the status', () => {
    expect(names(filterLocal(local, f({ channel: 'sms' })))).toEqual(['order_shipped']);
    expect(names(filterLocal(local, f({ channel: 'sms', status: 'approved' })))).toEqual([]);
    expect(names(filterLocal(local, f({ channel: 'whatsapp', status: 'approved' })))).toEqual(['order_shipped']);
    expect(filterRemote(remote, f({ channel: 'sms' }))).toHaveLength(0);
  });

  it('knows the last sync, and what exists on WhatsApp', () => {
    const lib: Library = { local, remote, syncs: [{ integration_id: 'a', integration_name: 'A', synced_at: '2000' }, { integration_id: 'b', integration_name: 'B', synced_at: '1000' }] };
    expect(lastSynced(lib)).toBe(1000);
    expect(lastSynced({ ...lib, syncs: [...lib.syncs, { integration_id: 'c', integration_name: 'C', synced_at: null }] })).toBeNull();
    expect(onWhatsApp(local[1]?.states ?? []).map((s) => s.status)).toEqual(['APPROVED']);
    expect(onWhatsApp(local[4]?.states ?? [])).toEqual([]);
  });
});

describe('translations in the list', () => {
  it('groups the templates by name, each group where it first appears, its translations the first made first', () => {
    const made = (name: string, language: string, created: string): LocalEntry => ({
      draft: { id: `${name}/${language}`, template: { ...tpl(name, 'x'), language }, created_at: created, updated_at: created },
      states: [],
    });
    const groups = groupByName([made('promo', 'fr', '30'), made('order', 'en_US', '5'), made('promo', 'en_US', '10'), made('promo', 'de', '20')]);
    expect(groups.map((g) => g.name)).toEqual(['promo', 'order']);
    expect(groups[0]?.translations.map((e) => e.draft.template.language)).toEqual(['en_US', 'de', 'fr']);
    expect(groups[1]?.translations).toHaveLength(1);
  });
});
