// WCAG 2.1 contrast, for the tests that keep app.css's themes at AA (contrast.test.ts).

export type Rgb = [number, number, number];

/** `#rgb` or `#rrggbb`. */
export function parseHex(hex: string): Rgb {
  const h = hex.trim().replace(/^#/, '');
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  if (!/^[0-9a-f]{6}$/i.test(full)) throw new Error(`not a colour: ${hex}`);
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as Rgb;
}

/** Relative luminance (WCAG 2.1, 1.4.3). */
export function luminance([r, g, b]: Rgb): number {
  const channel = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** The contrast ratio of two colours, 1 to 21. */
export function contrast(a: Rgb | string, b: Rgb | string): number {
  const la = luminance(typeof a === 'string' ? parseHex(a) : a);
  const lb = luminance(typeof b === 'string' ? parseHex(b) : b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** `fg` drawn at `alpha` over `bg` (text with an opacity). */
export function over(fg: Rgb | string, bg: Rgb | string, alpha: number): Rgb {
  const f = typeof fg === 'string' ? parseHex(fg) : fg;
  const g = typeof bg === 'string' ? parseHex(bg) : bg;
  return f.map((c, i) => Math.round(c * alpha + (g[i] ?? 0) * (1 - alpha))) as Rgb;
}

/** The custom properties (`--name: #hex`) of the first rule whose selector is exactly
 * `selector`, by name without the dashes. */
export function cssVariables(css: string, selector: string): Record<string, string> {
  const withoutComments = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const escaped = selector.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rule = new RegExp(`(?:^|[}\\s])${escaped}\\s*\\{([^}]*)\\}`).exec(withoutComments);
  if (!rule) throw new Error(`no rule for ${selector}`);
  const vars: Record<string, string> = {};
  for (const m of (rule[1] ?? '').matchAll(/--([\w-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\s*;/g)) {
    if (m[1] && m[2]) vars[m[1]] = m[2];
  }
  return vars;
}

/** The light theme (`:root`) and the dark one (`:root[data-scheme='dark']` over it). */
export function themes(css: string): { light: Record<string, string>; dark: Record<string, string> } {
  const light = cssVariables(css, ':root');
  return { light, dark: { ...light, ...cssVariables(css, ":root[data-scheme='dark']") } };
}
