import { describe, expect, it } from 'vitest';
import { fromDraft, split, toDraft } from './settingsDraft';
import { defaultSettings } from '../test/fixtures';

describe('the settings form’s draft', () => {
  it('reads the settings into the form and back unchanged', () => {
    const s = { ...defaultSettings(), allowed_roles: ['admin', '360001'], allowed_groups: ['7', '8'], send_rates: { wa1: 40 } };
    const d = toDraft(s);
    expect(d).toMatchObject({ roleAdmin: true, roleAgent: false, customRoles: '360001', groups: '7, 8', rates: [{ id: 'wa1', rate: 40 }] });
    expect(fromDraft(d)).toEqual({ settings: s, local: [] });
  });

  it('turns the form’s text into lists, rows into rates, and names what is not a whole number', () => {
    const d = toDraft(defaultSettings());
    d.roleAgent = true;
    d.customRoles = ' 12,, 13 ';
    d.groups = '5 ,6';
    d.rates = [{ id: ' tw1 ', rate: 10 }, { id: '', rate: null }, { id: 'wa1', rate: 2.5 }];
    d.settings.blackout_days = -1;
    const { settings, local } = fromDraft(d);
    expect(settings.allowed_roles).toEqual(['agent', '12', '13']);
    expect(settings.allowed_groups).toEqual(['5', '6']);
    expect(settings.send_rates).toEqual({ tw1: 10, wa1: 0 });
    expect(local.sort()).toEqual(['blackout_days', 'send_rates']);
    expect(split(' a, ,b ')).toEqual(['a', 'b']);
  });
});
