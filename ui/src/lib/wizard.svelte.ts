// The campaign wizard's state: kept while the user visits other screens.
import type { AudienceSummary, ExclusionReason, ValueMapping } from './api';
import { mappingComplete } from './campaign';

export type Step = 1 | 2 | 3 | 4 | 5;

export const wizard = $state<{
  step: Step;
  templateId: string | null;
  integrationId: string | null;
  query: string;
  audience: AudienceSummary | null;
  mapping: ValueMapping[];
  /** The recipient the mapping step previews (chosen in the exclusions table, or browsed). */
  previewUser: string | null;
  /** The exclusions table's filter: a reason, the allowed list, or everyone. */
  filter: ExclusionReason | 'eligible' | 'all';
}>({
  step: 1,
  templateId: null,
  integrationId: null,
  query: 'role:end-user',
  audience: null,
  mapping: [],
  previewUser: null,
  filter: 'eligible',
});

/** The furthest step the wizard can show with what is chosen so far. */
export function reachable(step: Step): boolean {
  if (step === 1) return true;
  if (!wizard.templateId || !wizard.integrationId) return false;
  if (step === 2) return true;
  if (wizard.audience === null) return false;
  if (step === 5) return wizard.audience.message_checked && mappingComplete(wizard.mapping);
  return true;
}

/** Starts over (a new campaign). */
export function resetWizard(): void {
  Object.assign(wizard, {
    step: 1,
    templateId: null,
    integrationId: null,
    audience: null,
    mapping: [],
    previewUser: null,
    filter: 'eligible',
  });
}
