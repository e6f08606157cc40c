import { describe, expect, it } from 'vitest';
import { contrast, cssVariables, over, parseHex, themes } from './contrast';

// Read from disk: Vitest hands CSS imports to tests empty (Node's fs, without its types here).
const fs = (await import(/* @vite-ignore */ `node:${'fs'}`)) as { readFileSync(path: string, encoding: 'utf8'): string };
const here = decodeURIComponent(import.meta.url.replace(/^file:\/\//, '')).replace(/^\/([A-Za-z]:)/, '$1');
const css = fs.readFileSync(here.replace(/lib\/[^/]+$/, 'app.css'), 'utf8');

// WCAG 2.1 AA: 4.5:1 for text (1.4.3), 3:1 for the edges of form controls and the focus ring
// (1.4.11). Each pair is a colour app.css draws on a background it draws it on; both themes.
const TEXT = 4.5;
const UI = 3;

const pairs: [fg: string, bg: string, min: number, what: string][] = [
  ['text', 'bg', TEXT, 'body text'],
  ['text', 'surface', TEXT, 'text in cards'],
  ['text', 'surface-2', TEXT, 'table headers, badges'],
  ['text', 'accent-soft', TEXT, 'a pressed filter'],
  ['text', 'warn-soft', TEXT, 'a warning notice'],
  ['muted', 'bg', TEXT, 'muted text, placeholders'],
  ['muted', 'surface', TEXT, 'muted text in cards'],
  ['muted', 'surface-2', TEXT, 'a badge'],
  ['muted', 'accent-soft', TEXT, 'muted text in a pressed filter'],
  ['muted', 'danger-soft', TEXT, 'muted text in an error notice'],
  ['muted', 'warn-soft', TEXT, 'muted text in a warning notice'],
  ['muted', 'ok-soft', TEXT, 'muted text in a success notice'],
  ['accent-strong', 'bg', TEXT, 'links'],
  ['accent-strong', 'surface', TEXT, 'links in cards'],
  ['accent-strong', 'surface-2', TEXT, 'links on grey'],
  ['accent-strong', 'warn-soft', TEXT, 'links in a warning notice'],
  ['accent-text', 'accent', TEXT, 'a primary button'],
  ['accent-text', 'accent-strong', TEXT, 'a primary button, hovered'],
  ['danger', 'surface', TEXT, 'danger buttons, field errors'],
  ['danger', 'bg', TEXT, 'errors on the page'],
  ['danger', 'surface-2', TEXT, 'errors on grey'],
  ['danger', 'danger-soft', TEXT, 'an error notice'],
  ['ok', 'surface', TEXT, 'success text'],
  ['ok', 'ok-soft', TEXT, 'a success notice'],
  ['ok', 'accent-soft', TEXT, 'the eligible count, pressed'],
  ['tone-ok', 'surface', TEXT, 'a green status chip'],
  ['tone-ok', 'bg', TEXT, 'a green status chip on the page'],
  ['tone-warn', 'surface', TEXT, 'an amber status chip'],
  ['tone-warn', 'bg', TEXT, 'an amber status chip on the page'],
  ['sidebar-text', 'sidebar', TEXT, 'the sidebar'],
  ['sidebar-text', 'sidebar-active', TEXT, 'the current screen in the sidebar'],
  ['control-border', 'surface', UI, 'an input’s edge'],
  ['control-border', 'bg', UI, 'an input’s edge on the page'],
  ['focus', 'bg', UI, 'the focus ring'],
  ['focus', 'surface', UI, 'the focus ring in cards'],
  ['focus', 'surface-2', UI, 'the focus ring on grey'],
  ['focus', 'accent-soft', UI, 'the focus ring on a pressed filter'],
  ['focus', 'danger-soft', UI, 'the focus ring in an error notice'],
  ['focus', 'warn-soft', UI, 'the focus ring in a warning notice'],
  ['focus', 'ok-soft', UI, 'the focus ring in a success notice'],
  ['sidebar-focus', 'sidebar', UI, 'the focus ring in the sidebar'],
  ['sidebar-focus', 'sidebar-active', UI, 'the focus ring on the current screen'],
  ['accent', 'surface', UI, 'the progress bar, the selected tab'],
];

describe('contrast', () => {
  it('computes WCAG ratios', () => {
    expect(contrast('#000', '#fff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
    expect(contrast('#fff', '#fff')).toBe(1);
    expect(over('#ffffff', '#000000', 0.5)).toEqual([128, 128, 128]);
    expect(parseHex('#0f766e')).toEqual([15, 118, 110]);
  });

  it('reads both themes from app.css', () => {
    const { light, dark } = themes(css);
    expect(light.bg).toBe('#f6f7f9');
    expect(dark.bg).toBe('#0e141b');
    // Every colour of the light theme is set again in the dark one: none leaks through.
    expect(Object.keys(cssVariables(css, ":root[data-scheme='dark']")).sort()).toEqual(Object.keys(light).sort());
  });

  for (const theme of ['light', 'dark'] as const) {
    describe(`the ${theme} theme meets WCAG 2.1 AA`, () => {
      const colours = themes(css)[theme];
      it.each(pairs)('%s on %s (%s:1 at least): %s', (fg, bg, min) => {
        const [a, b] = [colours[fg], colours[bg]];
        expect(a, `--${fg}`).toBeDefined();
        expect(b, `--${bg}`).toBeDefined();
        expect(contrast(a as string, b as string)).toBeGreaterThanOrEqual(min);
      });

      it('keeps the sidebar’s shortcut hints (80 % opacity) readable', () => {
        const bg = colours['sidebar-active'] as string;
        expect(contrast(over(colours['sidebar-text'] as string, bg, 0.8), bg)).toBeGreaterThanOrEqual(TEXT);
      });
    });
  }
});
