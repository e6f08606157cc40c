import { afterEach, describe, expect, it, vi } from 'vitest';
import userEvent from '@testing-library/user-event';
import { focusables, isTyping, modal, modalOpen } from './modal';

/** A page with a button that opens a dialog of three buttons (the middle one maybe disabled). */
function page(html = '<button id="a">a</button><button id="b" disabled>b</button><button id="c">c</button>') {
  document.body.innerHTML = `<main><button id="opener">Open</button><input id="field" /></main><div id="dialog" role="dialog" aria-modal="true">${html}</div>`;
  const opener = document.getElementById('opener') as HTMLButtonElement;
  const dialog = document.getElementById('dialog') as HTMLElement;
  return { opener, dialog };
}

/** Lets the focus go back (after the update that closed the dialog). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  document.body.innerHTML = '';
});

describe('modal', () => {
  it('moves focus in, keeps Tab and Shift+Tab inside, closes on Escape, and gives focus back', async () => {
    const { opener, dialog } = page();
    opener.focus();
    const onclose = vi.fn();
    const action = modal(dialog, { onclose });
    const user = userEvent.setup();
    // Into the dialog: its first focusable element.
    expect(document.activeElement?.id).toBe('a');
    // The rest of the window is inert meanwhile.
    expect(document.querySelector('main')?.hasAttribute('inert')).toBe(true);
    // Tab from the last goes to the first; Shift+Tab from the first to the last (b is disabled).
    await user.tab();
    expect(document.activeElement?.id).toBe('c');
    await user.tab();
    expect(document.activeElement?.id).toBe('a');
    await user.tab({ shift: true });
    expect(document.activeElement?.id).toBe('c');
    // Focus taken outside (a click, a script) comes back in.
    (document.getElementById('field') as HTMLInputElement).focus();
    expect(dialog.contains(document.activeElement)).toBe(true);

    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledTimes(1);
    action.destroy?.();
    dialog.remove();
    await settle();
    expect(document.activeElement).toBe(opener);
    expect(document.querySelector('main')?.hasAttribute('inert')).toBe(false);
  });

  it('focuses what is marked data-autofocus (a safe choice), or the heading when nothing else takes focus', () => {
    const { dialog } = page('<button id="yes">Yes</button><button id="no" data-autofocus>No</button>');
    const first = modal(dialog, {});
    expect(document.activeElement?.id).toBe('no');
    first.destroy?.();
    const { dialog: plain } = page('<h2 id="title">Only words</h2>');
    modal(plain, {}).destroy?.();
    expect(document.getElementById('title')?.getAttribute('tabindex')).toBe('-1');
  });

  it('gives focus to `returnTo` when the opener is gone (drawn again in its place)', async () => {
    const { opener, dialog } = page();
    opener.focus();
    const action = modal(dialog, { returnTo: '#again' });
    opener.remove();
    const again = document.createElement('button');
    again.id = 'again';
    document.body.append(again);
    action.destroy?.();
    dialog.remove();
    await settle();
    expect(document.activeElement).toBe(again);
  });

  it('inline (not modal): focus moves in and back, Escape closes, Tab is free, nothing is inert', async () => {
    const { opener, dialog } = page();
    dialog.removeAttribute('aria-modal');
    opener.focus();
    const onclose = vi.fn();
    const action = modal(dialog, { trap: false, onclose });
    expect(document.activeElement?.id).toBe('a');
    expect(document.querySelector('main')?.hasAttribute('inert')).toBe(false);
    const user = userEvent.setup();
    await user.tab();
    await user.tab();
    // Past the last button: out of the row (to the start of the document, in jsdom).
    expect(dialog.contains(document.activeElement)).toBe(false);
    dialog.querySelector<HTMLButtonElement>('#a')?.focus();
    await user.keyboard('{Escape}');
    expect(onclose).toHaveBeenCalledTimes(1);
    action.destroy?.();
    dialog.remove();
    await settle();
    expect(document.activeElement).toBe(opener);
  });

  it('leaves the focus where the user put it when it left the dialog first', async () => {
    const { opener, dialog } = page();
    opener.focus();
    const action = modal(dialog, { trap: false });
    const field = document.getElementById('field') as HTMLInputElement;
    field.focus();
    action.destroy?.();
    dialog.remove();
    await settle();
    expect(document.activeElement).toBe(field);
  });
});

describe('helpers', () => {
  it('knows typing from other keys, focusable elements, and whether a modal is open', () => {
    document.body.innerHTML = `
      <input id="i" /><textarea id="t"></textarea><select id="s"></select><div id="e" contenteditable="true"><span id="inner">x</span></div>
      <button id="b">b</button><a id="l" href="#x">l</a><div id="d" tabindex="-1">d</div><div hidden><button>hidden</button></div>`;
    for (const id of ['i', 't', 's', 'inner']) expect(isTyping(document.getElementById(id)), id).toBe(true);
    for (const id of ['b', 'l', 'd']) expect(isTyping(document.getElementById(id)), id).toBe(false);
    expect(isTyping(null)).toBe(false);
    // (Editable text is focusable in a browser; jsdom does not say so: left out here.)
    expect(focusables(document.body).map((e) => e.id).filter((id) => id !== 'e')).toEqual(['i', 't', 's', 'b', 'l']);
    expect(modalOpen()).toBe(false);
    document.body.insertAdjacentHTML('beforeend', '<div role="dialog" aria-modal="true"></div>');
    expect(modalOpen()).toBe(true);
  });
});
