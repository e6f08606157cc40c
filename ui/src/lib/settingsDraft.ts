// The Settings form's own copy of the settings: what it edits (roles as checkboxes and text,
// groups and rates as text and rows), and the settings it describes — kept pure, tested apart.
import type { Policy, Settings } from './api';

export interface RateRow {
  id: string;
  rate: number | null;
}

export interface Draft {
  settings: Settings;
  roleAdmin: boolean;
  roleAgent: boolean;
  customRoles: string;
  groups: string;
  rates: RateRow[];
  /** The opt-out and opt-in words, comma- or line-separated. */
  optoutWords: string;
  optinWords: string;
  /** The WhatsApp integrations of the portfolio whose limit is kept, comma-separated. */
  portfolio: string;
  /** The language rules (`LOCALE=CODE`), one a line. */
  languageRules: string;
}

export function toDraft(s: Settings): Draft {
  return {
    settings: structuredClone(s),
    roleAdmin: s.allowed_roles.includes('admin'),
    roleAgent: s.allowed_roles.includes('agent'),
    customRoles: s.allowed_roles.filter((r) => r !== 'admin' && r !== 'agent').join(', '),
    groups: s.allowed_groups.join(', '),
    rates: Object.entries(s.send_rates).map(([id, rate]) => ({ id, rate })),
    optoutWords: s.optout_words.join(', '),
    optinWords: s.optin_words.join(', '),
    portfolio: s.whatsapp_portfolio.join(', '),
    languageRules: s.language_rules.join('\n'),
  };
}

/** A list of words, comma- or line-separated, its blanks left out. */
export function words(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** One entry a line, each trimmed, blank lines left out. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** A comma-separated list, its blanks left out. */
export function split(text: string): string[] {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** The settings the form describes, and which fields hold no whole number (`local`). */
export function fromDraft(d: Draft): { settings: Settings; local: string[] } {
  const local: string[] = [];
  const whole = (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      if (!local.includes(field)) local.push(field);
      return 0;
    }
    return v;
  };
  const s = d.settings;
  const send_rates: Record<string, number> = {};
  for (const row of d.rates) {
    if (row.id.trim() === '' && row.rate === null) continue;
    send_rates[row.id.trim()] = whole(row.rate, 'send_rates');
  }
  const roles = [...(d.roleAdmin ? ['admin'] : []), ...(d.roleAgent ? ['agent'] : []), ...split(d.customRoles)];
  return {
    settings: {
      ...s,
      blackout_days: whole(s.blackout_days, 'blackout_days'),
      default_send_rate: whole(s.default_send_rate, 'default_send_rate'),
      auto_pause_after: whole(s.auto_pause_after, 'auto_pause_after'),
      schedule_lateness_mins: whole(s.schedule_lateness_mins, 'schedule_lateness_mins'),
      team_share_per_minute: whole(s.team_share_per_minute, 'team_share_per_minute'),
      send_rates,
      allowed_roles: roles,
      allowed_groups: split(d.groups),
      optout_words: words(d.optoutWords),
      optin_words: words(d.optinWords),
      whatsapp_portfolio: split(d.portfolio),
      language_rules: lines(d.languageRules),
    },
    local,
  };
}

/** The draft with the team's policy (`blackout_days`, `default_country`, `quiet_hours`, roles
 * and groups, consent rules and words, the WhatsApp limit, Meta's rules lifted and the language rules) taken from `applied`, the settings as they now apply; the rest as edited. */
export function withPolicy(d: Draft, applied: Settings): Draft {
  const policy = toDraft(applied);
  return {
    ...d,
    settings: {
      ...d.settings,
      blackout_days: applied.blackout_days,
      default_country: applied.default_country,
      quiet_hours: applied.quiet_hours,
      allowed_roles: [...applied.allowed_roles],
      allowed_groups: [...applied.allowed_groups],
      consent_whatsapp: applied.consent_whatsapp,
      consent_sms: applied.consent_sms,
      optout_words: [...applied.optout_words],
      optin_words: [...applied.optin_words],
      whatsapp_limit: applied.whatsapp_limit,
      whatsapp_portfolio: [...applied.whatsapp_portfolio],
      meta_rules_lifted: [...applied.meta_rules_lifted],
      language_rules: [...applied.language_rules],
    },
    roleAdmin: policy.roleAdmin,
    roleAgent: policy.roleAgent,
    customRoles: policy.customRoles,
    groups: policy.groups,
    optoutWords: policy.optoutWords,
    optinWords: policy.optinWords,
    portfolio: policy.portfolio,
    languageRules: policy.languageRules,
  };
}

/** The policy a form of it describes (lists as comma-separated text). */
export function policyOf(s: Settings): Policy {
  return {
    blackout_days: s.blackout_days,
    default_country: s.default_country,
    quiet_hours: s.quiet_hours,
    allowed_roles: [...s.allowed_roles],
    allowed_groups: [...s.allowed_groups],
    consent_whatsapp: s.consent_whatsapp,
    consent_sms: s.consent_sms,
    optout_words: [...s.optout_words],
    optin_words: [...s.optin_words],
    whatsapp_limit: s.whatsapp_limit,
    whatsapp_portfolio: [...s.whatsapp_portfolio],
    meta_rules_lifted: [...s.meta_rules_lifted],
    language_rules: [...s.language_rules],
  };
}
