import { describe, expect, it, vi } from 'vitest';

describe('theme', () => {
  it('follows the system live when set to system, and the user otherwise', async () => {
    let listener: () => void = () => undefined;
    const media = {
      matches: true,
      addEventListener: (_: string, cb: () => void) => (listener = cb),
    };
    vi.stubGlobal('matchMedia', () => media);
    const { applyTheme } = await import('./theme');
    const root = document.documentElement;

    applyTheme('system');
    expect(root.dataset.scheme).toBe('dark');
    media.matches = false;
    listener();
    expect(root.dataset.scheme).toBe('light');

    applyTheme('dark');
    expect(root.dataset.theme).toBe('dark');
    expect(root.dataset.scheme).toBe('dark');
    media.matches = true;
    listener();
    applyTheme('light');
    expect(root.dataset.scheme).toBe('light');
    vi.unstubAllGlobals();
  });
});
