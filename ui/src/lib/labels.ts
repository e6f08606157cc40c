// What the window calls each value the core sends, and its colour: one place per kind of value.
// Each table is keyed by the generated union type, so the compiler checks that every value the
// core can send has its words (a new status in Rust is a type error here until it is named).
import type {
  CampaignStatus,
  ExclusionReason,
  IntegrationKind,
  LanguageMatch,
  MessageChannel,
  PhoneProblem,
  ReplyVerdict,
  RecipientState,
  SlotComponent,
  TemplateStage,
  TemplateStatus,
  ZoneSource,
} from './bindings';
import type { MessageKey } from './i18n/index.svelte';

export type Tone = 'ok' | 'warn' | 'bad' | 'idle';

export const KIND_LABEL: Record<IntegrationKind, MessageKey> = {
  whatsapp: 'integrations.kind.whatsapp',
  twilio: 'integrations.kind.twilio',
  messagebird: 'integrations.kind.messagebird',
};

export const CHANNEL_LABEL: Record<MessageChannel, MessageKey> = {
  whatsapp: 'channel.whatsapp',
  sms: 'channel.sms',
};

export const TEMPLATE_STATUS_LABEL: Record<TemplateStatus, MessageKey> = {
  NOT_SUBMITTED: 'template.status.NOT_SUBMITTED',
  READY: 'template.status.READY',
  MISSING: 'template.status.MISSING',
  PENDING: 'template.status.PENDING',
  APPROVED: 'template.status.APPROVED',
  REJECTED: 'template.status.REJECTED',
  PAUSED: 'template.status.PAUSED',
  DISABLED: 'template.status.DISABLED',
  IN_APPEAL: 'template.status.IN_APPEAL',
  PENDING_DELETION: 'template.status.PENDING_DELETION',
  DELETED: 'template.status.DELETED',
  LIMIT_EXCEEDED: 'template.status.LIMIT_EXCEEDED',
  UNKNOWN: 'template.status.UNKNOWN',
};

export const STAGE_TONE: Record<TemplateStage, Tone> = {
  not_submitted: 'idle',
  pending: 'warn',
  approved: 'ok',
  ready: 'ok',
  rejected: 'bad',
};

/** A campaign as the history shows it: its status, or `interrupted` (the core's `interrupted`). */
export type CampaignShown = CampaignStatus | 'interrupted';

export const CAMPAIGN_STATUS_LABEL: Record<CampaignShown, MessageKey> = {
  scheduled: 'campaign.status.scheduled',
  missed: 'campaign.status.missed',
  waiting: 'campaign.status.waiting',
  creating: 'campaign.status.creating',
  ready: 'campaign.status.ready',
  running: 'campaign.status.running',
  paused: 'campaign.status.paused',
  completed: 'campaign.status.completed',
  cancelled: 'campaign.status.cancelled',
  interrupted: 'campaign.status.interrupted',
};

export const CAMPAIGN_TONE: Record<CampaignShown, Tone> = {
  scheduled: 'idle',
  missed: 'warn',
  waiting: 'idle',
  creating: 'idle',
  ready: 'idle',
  running: 'idle',
  paused: 'warn',
  completed: 'ok',
  cancelled: 'bad',
  interrupted: 'warn',
};

export const REASON_LABEL: Record<ExclusionReason, MessageKey> = {
  removed: 'reason.removed',
  no_phone: 'reason.no_phone',
  invalid_phone: 'reason.invalid_phone',
  cannot_receive: 'reason.cannot_receive',
  opted_out: 'reason.opted_out',
  no_consent: 'reason.no_consent',
  meta_rule: 'reason.meta_rule',
  suppressed: 'reason.suppressed',
  duplicate_phone: 'reason.duplicate_phone',
  blackout: 'reason.blackout',
  in_other_campaign: 'reason.in_other_campaign',
  missing_value: 'reason.missing_value',
  render_error: 'reason.render_error',
  no_translation: 'reason.no_translation',
};

/** How a recipient's translation was chosen (the core's words). */
export const MATCH_LABEL: Record<LanguageMatch, MessageKey> = {
  exact: 'language.match.exact',
  base: 'language.match.base',
  rule: 'language.match.rule',
  region: 'language.match.region',
  default: 'language.match.default',
  not_approved: 'language.match.not_approved',
  one: 'language.match.one',
};

export const STATE_LABEL: Record<RecipientState, MessageKey> = {
  pending: 'report.state.pending',
  sending: 'report.state.sending',
  sent: 'report.state.sent',
  failed: 'report.state.failed',
  skipped: 'report.state.skipped',
  unknown: 'report.state.unknown',
};

export const STATE_TONE: Record<RecipientState, Tone> = {
  pending: 'idle',
  sending: 'idle',
  sent: 'ok',
  failed: 'bad',
  skipped: 'idle',
  unknown: 'warn',
};

/** Where a recipient's time zone came from. */
export const ZONE_SOURCE_LABEL: Record<ZoneSource, MessageKey> = {
  user: 'timing.source.user',
  phone: 'timing.source.phone',
  workspace: 'timing.source.workspace',
};

export const COMPONENT_LABEL: Record<SlotComponent, MessageKey> = {
  header: 'mapping.component.header',
  body: 'mapping.component.body',
  button: 'mapping.component.button',
};

/** Why a number as written is not one. */
export const PROBLEM_LABEL: Record<PhoneProblem, MessageKey> = {
  contains_letters: 'phone.problem.contains_letters',
  not_a_number: 'phone.problem.not_a_number',
  no_country: 'phone.problem.no_country',
  invalid_country_code: 'phone.problem.invalid_country_code',
  too_short: 'phone.problem.too_short',
  too_long: 'phone.problem.too_long',
  invalid_length: 'phone.problem.invalid_length',
  invalid: 'phone.problem.invalid',
};

/** What a reply said, by Relay's rule. */
export const REPLY_VERDICT_LABEL: Record<ReplyVerdict, MessageKey> = {
  opt_out: 'optouts.verdict.opt_out',
  opt_in: 'optouts.verdict.opt_in',
  maybe: 'optouts.verdict.maybe',
  confirmed: 'optouts.verdict.confirmed',
  dismissed: 'optouts.verdict.dismissed',
  nothing: 'optouts.verdict.nothing',
};
