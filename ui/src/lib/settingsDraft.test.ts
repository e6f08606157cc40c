import { describe, expect, it } from 'vitest';
import { fromDraft, lines, split, toDraft, withPolicy } from './settingsDraft';
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

  it('reads the language rules one a line, and writes them back without blank lines', () => {
    const d = toDraft(defaultSettings({ language_rules: ['pt=pt_BR', 'es-419=es_MX'] }));
    expect(d.languageRules).toBe('pt=pt_BR\nes-419=es_MX');
    d.languageRules = ' pt=pt_BR \n\nes-419=es_MX\n';
    expect(fromDraft(d).settings.language_rules).toEqual(['pt=pt_BR', 'es-419=es_MX']);
    expect(lines('a\n \nb')).toEqual(['a', 'b']);
  });
});

describe('withPolicy', () => {
  it('takes the team’s values for the policy’s settings and keeps the rest as edited', () => {
    const edited = toDraft(defaultSettings({ blackout_days: 9, default_send_rate: 40, allowed_roles: ['agent'] }));
    const applied = defaultSettings({ blackout_days: 3, default_country: 'FR', quiet_hours: '21:00-08:00', allowed_roles: ['admin', '77'], allowed_groups: ['12'] });
    const d = withPolicy(edited, applied);
    expect(d.settings.blackout_days).toBe(3);
    expect(d.settings.default_send_rate).toBe(40);
    expect([d.roleAdmin, d.roleAgent, d.customRoles, d.groups]).toEqual([true, false, '77', '12']);
    expect(fromDraft(d).settings.allowed_roles).toEqual(['admin', '77']);
  });
});
