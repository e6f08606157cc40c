// The one module the UI uses to reach Rust. It wraps the generated bindings (never hand-written
// command names or payloads) and turns every rejection into a RelayError with a stable code.
import {
  ERROR_CODES,
  commands,
  type AppInfo,
  type ConnectionReport,
  type Draft_Serialize,
  type Library_Serialize,
  type LocalEntry_Serialize,
  type RemoteEntry_Serialize,
  type TemplateState_Serialize,
  type Template_Serialize,
  type TemplateCheck,
  type GroupView,
  type IntegrationView,
  type ErrorCode,
  type SecretKind,
  type Settings_Serialize,
  type SettingsView_Serialize,
  type AudienceSummary_Serialize,
  type BudgetView_Serialize,
  type FetchProgress_Serialize,
  type FetchProgress_Deserialize,
  type FieldInfo,
  type ImportReport,
  type MemberAction,
  type MemberFilter,
  type MemberPage_Serialize,
  type Member_Serialize,
  type MessageSpec_Serialize,
  type ExclusionReason,
  type IntegrationKind,
  type MessageChannel,
  type CampaignStatus,
  type TemplateStatus,
  type TemplateStage,
  type RecipientPreview_Serialize,
  type SampleUser_Serialize,
  type Slot,
  type Suppressed_Serialize,
  type OptoutStatus_Serialize,
  type OptoutRead,
  type Reply_Serialize,
  type ReplyVerdict,
  type ValueMapping_Serialize,
  type ValueSource_Serialize,
  type CampaignSummary_Serialize,
  type CampaignProgress_Serialize,
  type CampaignProgress_Deserialize,
  type CampaignRecipient_Serialize,
  type RecipientPage_Serialize,
  type RecipientState,
  type StateCounts,
  type SavedFile,
  type CloseChoice,
  type Text,
  type Issue_Serialize,
  type Check,
  type UpdateCheck_Serialize,
  type TeamStatus,
  type TeamCampaign_Serialize,
  type TeamPolicy_Serialize,
  type Policy_Serialize,
  type SyncReport,
  type CampaignTiming_Deserialize,
  type TimingPreview_Serialize,
  type WaitingWindow,
  type ZoneCounts,
  type ZoneSource,
  type ShellStatus,
  type TranslationSet_Serialize,
  type TranslationView_Serialize,
  type LanguageChoice,
  type LanguageCount,
  type LanguageMatch,
  type LanguageValue,
} from './bindings';
import { Channel } from '@tauri-apps/api/core';
import { tr } from './i18n/index.svelte';

export type Settings = Settings_Serialize;
export type SettingsView = SettingsView_Serialize;
export type Template = Template_Serialize;
export type Draft = Draft_Serialize;
export type Library = Library_Serialize;
export type LocalEntry = LocalEntry_Serialize;
export type RemoteEntry = RemoteEntry_Serialize;
export type TemplateState = TemplateState_Serialize;
export type AudienceSummary = AudienceSummary_Serialize;
export type BudgetView = BudgetView_Serialize;
export type FetchProgress = FetchProgress_Serialize;
export type MemberPage = MemberPage_Serialize;
export type Member = Member_Serialize;
export type MessageSpec = MessageSpec_Serialize;
export type RecipientPreview = RecipientPreview_Serialize;
export type SampleUser = SampleUser_Serialize;
export type ValueMapping = ValueMapping_Serialize;
export type ValueSource = ValueSource_Serialize;
export type CampaignSummary = CampaignSummary_Serialize;
export type CampaignProgress = CampaignProgress_Serialize;
export type CampaignRecipient = CampaignRecipient_Serialize;
export type RecipientPage = RecipientPage_Serialize;
export type { CloseChoice, RecipientState, SavedFile, StateCounts };
export type { FieldInfo, ImportReport, MemberAction, MemberFilter, ExclusionReason, Slot };
export type Suppressed = Suppressed_Serialize;
export type OptoutStatus = OptoutStatus_Serialize;
export type Reply = Reply_Serialize;
export type { OptoutRead, ReplyVerdict };
export type { CampaignStatus, IntegrationKind, MessageChannel, TemplateStage, TemplateStatus };
export type { AppInfo, ConnectionReport, ErrorCode, GroupView, IntegrationView, SecretKind, TemplateCheck, Text, Check };
export type Issue = Issue_Serialize;
export type UpdateCheck = UpdateCheck_Serialize;
export type Policy = Policy_Serialize;
export type TeamPolicy = TeamPolicy_Serialize;
export type { SyncReport, TeamStatus };
export type TeamCampaign = TeamCampaign_Serialize;
export type CampaignTiming = CampaignTiming_Deserialize;
export type TimingPreview = TimingPreview_Serialize;
export type { ShellStatus, WaitingWindow, ZoneCounts, ZoneSource };
export type TranslationSet = TranslationSet_Serialize;
export type TranslationView = TranslationView_Serialize;
export type { LanguageChoice, LanguageCount, LanguageMatch, LanguageValue };

export interface ErrorPayload {
  code: ErrorCode;
  /** English, for the log; the window says `text`. */
  message: string;
  text?: Text;
  details?: { fields?: Record<string, Text>; path?: string | null } | null;
}

/** Every code the Rust side can send (generated from `ErrorCode::ALL`). */
const CODES: readonly ErrorCode[] = ERROR_CODES;

/** An error from a command, with the stable code the UI switches on. Its `message` and
 * `fields` are said in the window's language (from the error's texts by code). */
export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly fields: Record<string, string>;
  readonly path: string | null;

  constructor(payload: ErrorPayload) {
    super(payload.text ? tr(payload.text) : payload.message);
    this.name = 'RelayError';
    this.code = payload.code;
    this.fields = Object.fromEntries(
      Object.entries(payload.details?.fields ?? {}).map(([field, text]) => [field, tr(text)]),
    );
    this.path = payload.details?.path ?? null;
  }
}

/** What went wrong, in the window's language: for an error shown as it comes. */
export function errorText(e: unknown): string {
  return toRelayError(e).message;
}

/** Normalizes anything a command may reject with (our AppError, or a framework string). */
export function toRelayError(e: unknown): RelayError {
  if (e instanceof RelayError) return e;
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const p = e as ErrorPayload;
    if (CODES.includes(p.code) && typeof p.message === 'string') return new RelayError(p);
  }
  const message = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
  return new RelayError({ code: 'internal', message });
}

async function call<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (e) {
    throw toRelayError(e);
  }
}

/** Every generated command, its rejection turned into a RelayError. */
type Commands = typeof commands;
type Wrapped = {
  [K in keyof Commands]: (...args: Parameters<Commands[K]>) => ReturnType<Commands[K]>;
};
const wrapped = Object.fromEntries(
  Object.entries(commands).map(([name, command]) => [
    name,
    (...args: unknown[]) => call((command as (...a: unknown[]) => Promise<unknown>)(...args)),
  ]),
) as Wrapped;

/** The commands the UI calls: every command of the bindings (declared once, in Rust's command
 * list), and those that stream through a channel wrapped to take a callback. */
export const api = {
  ...wrapped,
  /** Fetches a whole audience; `onProgress` gets every page. */
  fetchAudience: (query: string, onProgress: (p: FetchProgress) => void): Promise<AudienceSummary> => {
    // Specta types a channel as command input: the Deserialize shape of what Rust sends.
    const channel = new Channel<FetchProgress_Deserialize>();
    channel.onmessage = (p) => onProgress({ ...p, expected: p.expected ?? null });
    return call(commands.fetchAudience(query, channel));
  },
  /** Sends a campaign until it ends or is paused; `onProgress` gets its counts a few times a second. */
  runCampaign: (id: string, onProgress: (p: CampaignProgress) => void): Promise<CampaignSummary> => {
    const channel = new Channel<CampaignProgress_Deserialize>();
    channel.onmessage = (p) => onProgress({ ...p, rate: p.rate ?? 0, eta_secs: p.eta_secs ?? null, provider_wait_secs: p.provider_wait_secs ?? null });
    return call(commands.runCampaign(id, channel));
  },
  /** `onChange` is called when campaigns change on their own (the app's schedule). */
  watchCampaigns: (onChange: () => void): Promise<null> => {
    const channel = new Channel<null>();
    channel.onmessage = onChange;
    return call(commands.watchCampaigns(channel));
  },
  /** `onClose` gets how many campaigns are sending when the user closes the window. */
  watchClose: (onClose: (sending: number) => void): Promise<null> => {
    const channel = new Channel<number>();
    channel.onmessage = onClose;
    return call(commands.watchClose(channel));
  },
};
