// Every keyboard shortcut of the window, for the help overlay (`?` or "Keyboard shortcuts" in
// the sidebar), and whether that overlay is open. A new shortcut is added here too.
import type { MessageKey } from './i18n/index.svelte';
import type { Screen } from './app.svelte';

/** A key as shown: a named key (translated), or a character as it is. */
export type Key = 'ctrl' | 'shift' | 'escape' | 'enter' | 'space' | 'home' | 'end' | 'tab' | 'left' | 'right' | { char: string };

export interface Shortcut {
  /** Each way to press it (one or more alternatives), each a combination of keys. */
  keys: Key[][];
  does: MessageKey;
  params?: Record<string, MessageKey>;
}

export interface ShortcutGroup {
  id: string;
  title: MessageKey;
  items: Shortcut[];
}

/** The screens Ctrl/Cmd+1..4 open, in order (App.svelte's handler and the sidebar use it). */
export const SCREENS: Screen[] = ['templates', 'campaigns', 'integrations', 'settings'];

const SCREEN_LABEL: Record<Screen, MessageKey> = {
  templates: 'nav.templates',
  campaigns: 'nav.campaigns',
  integrations: 'nav.integrations',
  settings: 'nav.settings',
};

export const SHORTCUT_GROUPS: ShortcutGroup[] = [
  {
    id: 'anywhere',
    title: 'shortcuts.group.anywhere',
    items: [
      ...SCREENS.map((screen, i) => ({ keys: [['ctrl', { char: String(i + 1) }]], does: 'shortcuts.goTo', params: { screen: SCREEN_LABEL[screen] } }) satisfies Shortcut),
      { keys: [[{ char: '?' }]], does: 'shortcuts.help' },
      { keys: [['tab'], ['shift', 'tab']], does: 'shortcuts.tab' },
    ],
  },
  {
    id: 'dialogs',
    title: 'shortcuts.group.dialogs',
    items: [{ keys: [['escape']], does: 'shortcuts.escape' }],
  },
  {
    id: 'settings',
    title: 'shortcuts.group.settings',
    items: [
      { keys: [['ctrl', { char: 'S' }]], does: 'shortcuts.save' },
      { keys: [['enter']], does: 'shortcuts.secret' },
    ],
  },
  {
    id: 'translations',
    title: 'shortcuts.group.translations',
    items: [
      { keys: [['left'], ['right']], does: 'shortcuts.tabs.move' },
      { keys: [['home'], ['end']], does: 'shortcuts.tabs.ends' },
      { keys: [['enter'], ['space']], does: 'shortcuts.tabs.open' },
    ],
  },
];

/** The help overlay: open or not, and what opened it (focus goes back there). */
export const shortcutsHelp = $state<{ open: boolean; opener: HTMLElement | null }>({ open: false, opener: null });

export function showShortcuts(opener: HTMLElement | null): void {
  shortcutsHelp.opener = opener;
  shortcutsHelp.open = true;
}

export function hideShortcuts(): void {
  shortcutsHelp.open = false;
}
