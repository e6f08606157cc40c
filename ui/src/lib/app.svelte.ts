// Application state shared by the screens.
import { api, toRelayError, type AppInfo, type RelayError, type Settings, type SettingsView } from './api';
import { setLocale, systemLocale } from './i18n/index.svelte';
import { applyTheme } from './theme';
import { resetWizard } from './wizard.svelte';

export type Screen = 'templates' | 'campaigns' | 'integrations' | 'settings';

export const app = $state<{
  loading: boolean;
  view: SettingsView | null;
  info: AppInfo | null;
  fatal: RelayError | null;
  screen: Screen;
}>({ loading: true, view: null, info: null, fatal: null, screen: 'templates' });

/** Applies language and theme from settings (or the system's when set to "system"). */
export function applyPreferences(settings: Pick<Settings, 'language' | 'theme'>): void {
  setLocale(settings.language === 'system' ? systemLocale() : settings.language);
  applyTheme(settings.theme);
}

export function setView(view: SettingsView): void {
  app.view = view;
  applyPreferences(view.settings);
}

export async function load(): Promise<void> {
  app.loading = true;
  app.fatal = null;
  try {
    const [view, info] = await Promise.all([api.getSettings(), api.appInfo()]);
    setView(view);
    app.info = info;
  } catch (e) {
    app.fatal = toRelayError(e);
  } finally {
    app.loading = false;
  }
}

/** The first-run screen shows until the workspace is configured or the user moves on. */
export function showFirstRun(): boolean {
  return !!app.view && !app.view.configured && !app.view.settings.first_run_done;
}

let preferenceQueue: Promise<unknown> = Promise.resolve();

/**
 * Saves language/theme/first-run on top of the last saved settings (never unsaved form edits).
 * The change shows at once; saves run one after another, each on top of the previous result,
 * so two quick changes cannot overwrite each other.
 */
export function savePreferences(patch: Partial<Pick<Settings, 'language' | 'theme' | 'first_run_done' | 'update_url'>>): Promise<void> {
  if (patch.language) setLocale(patch.language === 'system' ? systemLocale() : patch.language);
  if (patch.theme) applyTheme(patch.theme);
  const run = preferenceQueue.then(async () => {
    if (!app.view) return;
    setView(await api.saveSettings({ ...app.view.settings, ...patch }, app.view.settings));
  });
  preferenceQueue = run.catch(() => undefined);
  return run;
}

/** Opens the demo workspace (a local sandbox) and shows it. */
export async function startDemo(): Promise<void> {
  await api.startDemo();
  resetWizard(); // its template and audience belong to the other workspace
  app.screen = 'templates';
  await load();
}

/** Leaves the demo and returns to one's own workspace (the first-run screen if none). */
export async function leaveDemo(): Promise<void> {
  await api.leaveDemo();
  resetWizard();
  app.screen = 'templates';
  await load();
}
