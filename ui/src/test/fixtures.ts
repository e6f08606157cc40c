// Shared fixtures for component tests: a fake Rust side behind Tauri's mockIPC.
import { mockIPC } from '@tauri-apps/api/mocks';
import type { AppInfo, ErrorCode, Policy, TeamCampaign, IntegrationKind, Library, RemoteEntry, Settings, SettingsView, Template, TemplateStage, TemplateState, TemplateStatus, Text, UpdateCheck } from '../lib/api';

/** A message of the core by code, as the Rust side sends it. */
export const said = (key: string, params: Record<string, string | Text> = {}): Text => ({ key, params });

/** An `AppError` as the Rust side rejects with: its code, its English, its text by code, and
 * for invalid input each field's text. */
export function appError(code: ErrorCode, text: Text, fields?: Record<string, Text>, path?: string) {
  return { code, message: `(English of ${text.key})`, text, details: fields || path ? { fields: fields ?? {}, path: path ?? null } : undefined };
}

/** The stage the core gives each status (`TemplateStatus::stage`), for the fakes below. */
const STAGE: Record<TemplateStatus, TemplateStage> = {
  NOT_SUBMITTED: 'not_submitted',
  MISSING: 'not_submitted',
  PENDING: 'pending',
  IN_APPEAL: 'pending',
  PENDING_DELETION: 'pending',
  APPROVED: 'approved',
  READY: 'ready',
  REJECTED: 'rejected',
  PAUSED: 'rejected',
  DISABLED: 'rejected',
  DELETED: 'rejected',
  LIMIT_EXCEEDED: 'rejected',
  UNKNOWN: 'rejected',
};

/** A template's state on an integration, with what the core derives from its kind and status. */
export function templateState(
  id: string,
  name: string,
  kind: IntegrationKind | null,
  status: TemplateStatus,
  patch: Partial<TemplateState> = {},
): TemplateState {
  const channel = kind === null ? null : kind === 'whatsapp' ? 'whatsapp' : 'sms';
  return {
    integration_id: id,
    integration_name: name,
    kind,
    channel,
    status,
    stage: STAGE[status],
    reason: null,
    edited_since_submitted: false,
    sendable: (channel === 'whatsapp' && status === 'APPROVED') || (channel === 'sms' && status === 'READY'),
    on_whatsapp: kind === 'whatsapp' && status !== 'NOT_SUBMITTED' && status !== 'MISSING',
    ...patch,
  };
}

/** A WhatsApp template found only on an integration. */
export function remoteEntry(patch: Omit<RemoteEntry, 'stage'>): RemoteEntry {
  return { ...patch, stage: STAGE[patch.status] };
}

export function defaultSettings(patch: Partial<Settings> = {}): Settings {
  return {
    zendesk_subdomain: '',
    zendesk_email: '',
    zendesk_custom_url: '',
    sunshine_app_id: '',
    sunshine_key_id: '',
    sunshine_host: 'zendesk',
    sunshine_custom_url: '',
    whatsapp_namespace: '',
    blackout_days: 7,
    default_country: '',
    phone_identities: false,
    desktop_only: false,
    team_share_per_minute: 100,
    default_send_rate: 8,
    auto_pause_after: 10,
    quiet_hours: '',
    time_zone: '',
    schedule_lateness_mins: 60,
    send_rates: {},
    allowed_roles: [],
    allowed_groups: [],
    consent_whatsapp: '',
    consent_sms: '',
    optout_words: ['STOP', 'ARRÊT'],
    optin_words: ['START'],
    language_rules: [],
    whatsapp_limit: '',
    whatsapp_portfolio: [],
    meta_rules_lifted: [],
    language: 'en',
    theme: 'system',
    update_url: '',
    first_run_done: false,
    demo_active: false,
    ...patch,
  };
}

export const info: AppInfo = {
  version: '0.1.0',
  demo: false,
  data_dir: '/data',
  database: '/data/relay.sqlite3',
  settings_file: '/data/settings.json',
  log_file: '/data/logs/relay.log',
  schema_version: 1,
};

export interface FakeBackend {
  calls: { cmd: string; args: Record<string, unknown> }[];
  view: SettingsView;
  /** Set to make the next save_settings fail with this AppError payload. */
  failSave: unknown;
  demo: boolean;
  main: SettingsView | null;
  drafts: { id: string; template: Template; created_at: string; updated_at: string }[];
  /** A draft no save_template may write (as the core's storage refusing it): a save that would
   * write it, alone or among the translations it renames, fails whole and changes nothing. */
  unwritable: string | null;
  /** Local template id → its states; WhatsApp-only templates; last sync time. */
  states: Record<string, TemplateState[]>;
  remote: RemoteEntry[];
  syncedAt: string | null;
  /** What an update check finds; set to make install_update fail with this AppError payload. */
  update: UpdateCheck | null;
  failInstall: unknown;
  /** Entries this desktop has not pushed to the team's store yet. */
  teamPending: number;
  /** Records of an earlier Relay folded here and still in the team's store. */
  teamLegacy: number;
  teamCampaigns: TeamCampaign[];
}

const INTEGRATIONS: Record<string, { name: string; kind: IntegrationKind }> = {
  wa1: { name: 'WhatsApp Support', kind: 'whatsapp' },
  tw1: { name: 'Twilio SMS', kind: 'twilio' },
};

function library(state: FakeBackend): Library {
  return {
    local: state.drafts.map((draft) => ({ draft, states: state.states[draft.id] ?? [] })),
    remote: state.remote,
    syncs: [{ integration_id: 'wa1', integration_name: 'WhatsApp Support', synced_at: state.syncedAt }],
  };
}

/** What the core's `check_template` says of a template, as far as these tests need. */
export function checkTemplate(t: Template) {
  const issues = t.body.trim() === '' ? [{ code: 'body_required', field: 'body', severity: 'error', text: said('issue.body_required') }] : [];
  const body = t.body.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
  return {
    issues,
    sanitized_name: t.name.toLowerCase().replace(/ /g, '_'),
    name_changes: t.name === t.name.toLowerCase() ? [] : ['capital letters made lowercase'],
    preview: {
      whatsapp: { header_kind: t.header.kind, header_text: t.header.text, header_url: t.header.url, body_html: body, body_text: t.body, footer: t.footer, buttons: [] },
      sms: { text: t.body.replace(/\*\*/g, ''), info: { encoding: 'GSM-7', segments: 1, characters: t.body.length, unicode_scalars: t.body.length, message_bits: 0, total_bits: 0, non_gsm: [] } },
    },
  };
}

/** Installs a fake Rust side that keeps settings in memory, as the core would. */
export function fakeBackend(settings: Settings = defaultSettings()): FakeBackend {
  const state: FakeBackend = {
    calls: [],
    view: { settings, secrets: { zendesk_api_token: false, sunshine_key_secret: false }, configured: false, team_policy: null },
    failSave: null,
    demo: false,
    main: null,
    drafts: [],
    unwritable: null,
    states: {},
    remote: [],
    syncedAt: null,
    update: null,
    failInstall: null,
    teamPending: 3,
    teamLegacy: 0,
    teamCampaigns: [],
  };
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    state.calls.push({ cmd, args });
    switch (cmd) {
      case 'app_info':
        return { ...info, demo: state.demo };
      case 'start_demo':
        state.demo = true;
        state.main = state.view;
        state.view = {
          settings: { ...defaultSettings(), zendesk_subdomain: 'relay-demo', first_run_done: true, language: 'en' },
          secrets: { zendesk_api_token: true, sunshine_key_secret: true },
          configured: true,
          team_policy: null,
        };
        return null;
      case 'leave_demo':
        state.demo = false;
        if (state.main) state.view = state.main;
        return null;
      case 'get_settings':
        return state.view;
      case 'team_status':
        return { desktop: 'ada-laptop/1a2b3c4d', pending: state.teamPending, failing: 0, last_error: null, last_push: null, last_pull: null, pulled_entries: 0, settling: 0, legacy_records: state.teamLegacy };
      case 'sync_team': {
        const pushed = state.teamPending;
        state.teamPending = 0;
        return { pushed, retry: 0, pulled: 12, merged: 5, requests: 7 };
      }
      case 'delete_legacy_team_records': {
        const deleted = state.teamLegacy;
        state.teamLegacy = 0;
        return deleted;
      }
      case 'set_team_policy': {
        // As the core: an invalid quiet hours is refused at its field, nothing published.
        const policy = args.policy as Policy;
        if (policy.quiet_hours !== '' && !/^\d\d:\d\d-\d\d:\d\d$/.test(policy.quiet_hours)) {
          const why = said('timing.quiet_format', { value: policy.quiet_hours });
          throw appError('invalid_input', why, { quiet_hours: why });
        }
        const team_policy = { policy: { ...policy, default_country: policy.default_country.toUpperCase() }, changed_by: 'ada@example.com', desktop: 'ada-laptop/1a2b3c4d', changed_at: '2026-12-04T08:00:00Z' };
        state.view = { ...state.view, settings: { ...state.view.settings, ...team_policy.policy }, team_policy };
        return state.view;
      }
      case 'team_campaigns':
        return state.teamCampaigns;
      case 'update_status':
        return state.update;
      case 'check_update':
        state.update = state.update ?? { current: info.version, available: null, checked_at: '2026-12-03T09:00:00Z' };
        return state.update;
      case 'install_update':
        if (state.failInstall) throw state.failInstall;
        return null;
      case 'save_settings': {
        if (state.failSave) {
          const e = state.failSave;
          state.failSave = null;
          throw e;
        }
        state.view = { ...state.view, settings: args.settings as Settings };
        return state.view;
      }
      case 'set_secret':
        state.view = { ...state.view, secrets: { ...state.view.secrets, [args.kind as string]: true } };
        return state.view;
      case 'clear_secret':
        state.view = { ...state.view, secrets: { ...state.view.secrets, [args.kind as string]: false } };
        return state.view;
      case 'set_sunshine_token':
        if (args.token === 'bad') {
          throw appError('invalid_input', said('token.not_base64'));
        }
        state.view = {
          ...state.view,
          settings: { ...state.view.settings, sunshine_key_id: 'app_from_token' },
          secrets: { ...state.view.secrets, sunshine_key_secret: true },
        };
        return state.view;
      case 'test_connection':
        return {
          ok: false,
          checks: [
            { id: 'zendesk_reachable', status: 'ok', detail: said('check.answers', { base: 'https://acme.zendesk.com' }) },
            { id: 'zendesk_token', status: 'failed', detail: said('zendesk.token_refused', { email: 'admin@acme.com' }), code: 'auth_failed' },
            { id: 'zendesk_access', status: 'skipped', detail: said('check.skipped') },
            { id: 'sunshine_key', status: 'ok', detail: said('check.key_opens', { key: 'app_1', app: 'app' }) },
            { id: 'integrations', status: 'ok', detail: said('check.found', { summary: '1 WhatsApp, 1 Twilio' }) },
          ],
          integrations: [],
        };
      case 'list_integrations':
        return [
          { id: 'wa1', kind: 'whatsapp', channel: 'whatsapp', name: 'WhatsApp Support', sender: '+15145550100', status: 'active', rate: state.view.settings.send_rates.wa1 ?? 8 },
          { id: 'tw1', kind: 'twilio', channel: 'sms', name: 'Twilio SMS', sender: '', status: 'active', rate: 8 },
        ];
      case 'zendesk_groups':
        return [
          { id: '11', name: 'Support' },
          { id: '22', name: 'Marketing' },
        ];
      case 'template_library':
        return library(state);
      case 'sync_templates':
        state.syncedAt = '1700000000000';
        for (const list of Object.values(state.states)) {
          for (const [i, s] of list.entries()) if (s.status === 'PENDING') list[i] = templateState(s.integration_id, s.integration_name, s.kind, 'APPROVED');
        }
        return library(state);
      case 'submit_template': {
        const draft = state.drafts.find((d) => d.id === args.id);
        if (!draft) throw appError('not_found', said('template.not_found', { id: String(args.id) }));
        state.states[draft.id] = draft.template.integrations.map((id) =>
          templateState(id, INTEGRATIONS[id]?.name ?? id, INTEGRATIONS[id]?.kind ?? null, INTEGRATIONS[id]?.kind === 'whatsapp' ? 'PENDING' : 'READY'),
        );
        return { draft, states: state.states[draft.id] };
      }
      case 'delete_remote_template':
        state.remote = state.remote.filter((r) => !(r.integration_id === args.integrationId && r.name === args.name));
        for (const d of state.drafts) {
          if (d.template.name !== args.name) continue;
          for (const s of state.states[d.id] ?? []) if (s.integration_id === args.integrationId) s.status = 'NOT_SUBMITTED';
        }
        return library(state);
      case 'delete_template':
        state.drafts = state.drafts.filter((d) => d.id !== args.id);
        return null;
      case 'save_template': {
        // One transaction, as the core's: the draft, then its translations renamed with it.
        const template = args.template as Template;
        const id = (args.id as string | null) ?? `d${state.drafts.length + 1}`;
        const renamed = ((args.translations as string[] | undefined) ?? []).filter((other) => other !== id);
        if (state.unwritable !== null && [id, ...renamed].includes(state.unwritable)) {
          throw appError('storage', said('template.unreadable', { id: state.unwritable, detail: 'disk I/O error' }));
        }
        const created = state.drafts.find((d) => d.id === id)?.created_at ?? String(state.drafts.length + 1);
        const draft = { id, template, created_at: created, updated_at: '2' };
        state.drafts = [draft, ...state.drafts.filter((d) => d.id !== id)].map((d) =>
          renamed.includes(d.id) ? { ...d, template: { ...d.template, name: template.name } } : d,
        );
        return draft;
      }
      case 'check_template':
        return checkTemplate(args.template as Template);
      case 'template_translations': {
        // As the core: every local template of the draft's name, the first made first; a
        // language given twice is a problem.
        const draft = state.drafts.find((d) => d.id === args.id);
        if (!draft) throw appError('not_found', said('template.not_found', { id: String(args.id) }));
        const group = state.drafts.filter((d) => d.template.name === draft.template.name).sort((a, b) => Number(a.created_at) - Number(b.created_at));
        const problems = group
          .filter((d, i) => group.slice(0, i).some((o) => o.template.language === d.template.language))
          .map((d) => said('translation.twice', { name: d.template.name, language: d.template.language }));
        return { translations: group.map((d) => ({ draft: d, check: checkTemplate(d.template) })), problems };
      }
      case 'add_translation': {
        const draft = state.drafts.find((d) => d.id === args.id);
        if (!draft) throw appError('not_found', said('template.not_found', { id: String(args.id) }));
        const language = args.language as string;
        if (state.drafts.some((d) => d.template.name === draft.template.name && d.template.language === language)) {
          const why = said('translation.exists', { name: draft.template.name, language });
          throw appError('invalid_input', why, { language: why });
        }
        const copy = { id: `d${state.drafts.length + 1}`, template: { ...draft.template, language }, created_at: String(state.drafts.length + 1), updated_at: '2' };
        state.drafts = [copy, ...state.drafts];
        return copy;
      }
      default:
        throw `unknown command ${cmd}`;
    }
  });
  return state;
}
