// Dialogs and confirmations for the keyboard and assistive technologies, in one place (WCAG 2.1
// 2.1.2, 2.4.3): focus moves in when one opens, Escape closes it (as Cancel), focus goes back to
// what opened it when it closes; a modal one also keeps Tab and Shift+Tab inside it and makes the
// rest of the window inert. Used as an action: `<div role="dialog" use:modal={{ onclose }}>`.
import type { ActionReturn } from 'svelte/action';

export interface ModalOptions {
  /** Escape was pressed inside: close as Cancel would. */
  onclose?: () => void;
  /** A modal dialog (the default): Tab stays inside, the rest of the window is inert. An inline
   * confirmation ("Sure? Yes / No" in a list) is not: focus moves in and back, Escape closes. */
  trap?: boolean;
  /** What opened it, when it is not the element focused at the time (a button in WebKit is not
   * focused by a click). */
  opener?: HTMLElement | null;
  /** Where focus goes back to when the opener is gone (re-rendered, or never focused): the
   * element, or a selector in the document. */
  returnTo?: (() => HTMLElement | null | undefined) | string;
}

/** What Tab can reach. */
const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
  '[contenteditable=""]',
  '[contenteditable="true"]',
].join(',');

/** The elements inside `root` that Tab reaches, in document order. */
export function focusables(root: ParentNode): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.closest('[hidden], [inert]') && el.tabIndex >= 0);
}

/** Whether a key pressed in `target` is typing (an input, a text area, a menu or editable text):
 * single-key shortcuts leave it alone. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.closest('[contenteditable=""], [contenteditable="true"]')) return true;
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** Whether a modal dialog is open (global shortcuts wait until it closes). */
export function modalOpen(): boolean {
  return document.querySelector('[aria-modal="true"]') !== null;
}

/** Where focus goes first: an element marked `data-autofocus`, else the first focusable one,
 * else the dialog's heading or the dialog itself (made focusable from script only). */
function initialFocus(node: HTMLElement): HTMLElement {
  const marked = node.querySelector<HTMLElement>('[data-autofocus]');
  if (marked) return marked;
  const first = focusables(node)[0];
  if (first) return first;
  const heading = node.querySelector<HTMLElement>('h1, h2, h3') ?? node;
  if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
  return heading;
}

/** Makes everything outside `node` inert (each ancestor's other children, up to the body);
 * returns what to undo. */
function inertOutside(node: HTMLElement): () => void {
  const made: Element[] = [];
  for (let el: HTMLElement | null = node; el && el !== document.body; el = el.parentElement) {
    for (const sibling of el.parentElement?.children ?? []) {
      if (sibling === el || sibling.hasAttribute('inert') || sibling instanceof HTMLScriptElement) continue;
      sibling.setAttribute('inert', '');
      made.push(sibling);
    }
  }
  return () => {
    for (const el of made) el.removeAttribute('inert');
  };
}

/** The modal dialogs open, the last on top (a second one may open over the first: the window
 * asks before closing while a confirmation is open). */
const stack: HTMLElement[] = [];

export function modal(node: HTMLElement, initial: ModalOptions = {}): ActionReturn<ModalOptions> {
  let options = initial;
  const trap = options.trap ?? true;
  const active = document.activeElement;
  const opener = options.opener ?? (active instanceof HTMLElement && active !== document.body ? active : null);
  const undoInert = trap ? inertOutside(node) : () => {};

  function onkeydown(event: KeyboardEvent) {
    if (event.key === 'Escape' && options.onclose) {
      event.preventDefault();
      event.stopPropagation();
      options.onclose();
      return;
    }
    if (event.key !== 'Tab' || !trap) return;
    const items = focusables(node);
    const first = items[0];
    const last = items[items.length - 1];
    if (!first || !last) {
      event.preventDefault();
      return;
    }
    const at = document.activeElement;
    if (event.shiftKey && (at === first || !node.contains(at))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (at === last || !node.contains(at))) {
      event.preventDefault();
      first.focus();
    }
  }

  /** The modal on top keeps focus: anything that takes it outside (a click, a script) brings it
   * back. */
  function onfocusin(event: FocusEvent) {
    if (stack[stack.length - 1] !== node) return;
    if (event.target instanceof Node && !node.contains(event.target)) initialFocus(node).focus();
  }

  node.addEventListener('keydown', onkeydown);
  if (trap) {
    stack.push(node);
    document.addEventListener('focusin', onfocusin);
  }
  initialFocus(node).focus();

  return {
    update(next) {
      options = next;
    },
    destroy() {
      node.removeEventListener('keydown', onkeydown);
      document.removeEventListener('focusin', onfocusin);
      const at = stack.indexOf(node);
      if (at >= 0) stack.splice(at, 1);
      undoInert();
      // Focus goes back only if it was in the dialog (it is lost with it) or already lost: a
      // click elsewhere that took it stays where it went.
      const now = document.activeElement;
      const lost = !now || now === document.body || node.contains(now);
      if (!lost) return;
      const returnTo = options.returnTo;
      // After the update that closed it: the opener may be rendered again by then.
      queueMicrotask(() => {
        const current = document.activeElement;
        if (current && current !== document.body && !node.contains(current)) return;
        let target: HTMLElement | null | undefined = opener?.isConnected ? opener : null;
        if (!target && returnTo) target = typeof returnTo === 'string' ? document.querySelector<HTMLElement>(returnTo) : returnTo();
        target?.focus();
      });
    },
  };
}
