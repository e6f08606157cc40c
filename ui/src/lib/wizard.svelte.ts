// The campaign wizard's state: kept while the user visits other screens.
import type { AudienceSummary, ExclusionReason, LanguageChoice, LanguageValue, MessageSpec, ValueMapping } from './api';
import { mappingComplete, messageSpec as specOf } from './campaign';

/** The wizard's steps, in order. The numbers are what the step bar shows and its `data-step`
 * attributes carry (the end-to-end tests click them), and Back and Next move by one. */
export const Step = {
  Message: 1,
  Audience: 2,
  Exclusions: 3,
  Mapping: 4,
  Review: 5,
} as const;
export type Step = (typeof Step)[keyof typeof Step];

export const wizard = $state<{
  step: Step;
  templateId: string | null;
  integrationId: string | null;
  query: string;
  audience: AudienceSummary | null;
  mapping: ValueMapping[];
  /** The values `mapping` is for, in order (the slots' examples): carried by name to another
   * translation's slots when the default language changes. */
  mappingNames: string[];
  /** Which translation each recipient gets: `templateId`'s for everyone, or each one's own
   * (`templateId` then being the default language). */
  language: LanguageChoice;
  /** The chosen template's translations, the first made first. */
  translations: { id: string; language: string }[];
  /** Static values given in the other languages (with each recipient's language). */
  languageValues: LanguageValue[];
  /** The recipient the mapping step previews (chosen in the exclusions table, or browsed). */
  previewUser: string | null;
  /** The exclusions table's filter: a reason, the allowed list, or everyone. */
  filter: ExclusionReason | 'eligible' | 'all';
}>({
  step: Step.Message,
  templateId: null,
  integrationId: null,
  query: 'role:end-user',
  audience: null,
  mapping: [],
  mappingNames: [],
  language: 'one',
  translations: [],
  languageValues: [],
  previewUser: null,
  filter: 'eligible',
});

/** The message the wizard describes, once a template and an integration are chosen. */
export function messageSpec(): MessageSpec | null {
  const { templateId, integrationId } = wizard;
  if (!templateId || !integrationId) return null;
  const s = $state.snapshot(wizard);
  return specOf({ ...s, templateId, integrationId });
}

/** The furthest step the wizard can show with what is chosen so far. */
export function reachable(step: Step): boolean {
  if (step === Step.Message) return true;
  if (!wizard.templateId || !wizard.integrationId) return false;
  if (step === Step.Audience) return true;
  if (wizard.audience === null) return false;
  if (step === Step.Review) return wizard.audience.message_checked && mappingComplete(wizard.mapping);
  return true;
}

/** Starts over (a new campaign). */
export function resetWizard(): void {
  Object.assign(wizard, {
    step: Step.Message,
    templateId: null,
    integrationId: null,
    audience: null,
    mapping: [],
    mappingNames: [],
    language: 'one',
    translations: [],
    languageValues: [],
    previewUser: null,
    filter: 'eligible',
  });
}
