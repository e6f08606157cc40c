// Light and dark: the user's choice, or the system's when set to "system" (followed live).
import type { Settings } from './api';

type Theme = Settings['theme'];

let media: MediaQueryList | null = null;
let current: Theme = 'system';

function effective(theme: Theme): 'light' | 'dark' {
  if (theme !== 'system') return theme;
  return media?.matches ? 'dark' : 'light';
}

function render(): void {
  const root = document.documentElement;
  root.dataset.theme = current;
  root.dataset.scheme = effective(current);
}

export function applyTheme(theme: Theme): void {
  if (!media && typeof window.matchMedia === 'function') {
    media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', render);
  }
  current = theme;
  render();
}
