import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { mockIPC } from '@tauri-apps/api/mocks';
import SuppressionList from './SuppressionList.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import type { Suppressed } from '../lib/api';
import { appError, said } from '../test/fixtures';

describe('numbers never to message', () => {
  it('adds numbers, shows a refusal without changing the list, imports a CSV and removes a number', async () => {
    setLocale('en');
    let list: Suppressed[] = [];
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      switch (cmd) {
        case 'suppressed_numbers':
          return list;
        case 'suppress_numbers': {
          const phones = args.phones as string[];
          const bad = phones.find((p) => !p.startsWith('+'));
          if (bad) {
            const problem = said('phone.typed_invalid', { value: bad, problem: said('phone.problem.contains_letters') });
            throw appError('invalid_input', problem, { phone: problem });
          }
          // Added again as it is: trusted (the core records what was typed).
          list = [...list.filter((s) => !phones.includes(s.phone)), ...phones.map((phone) => ({ phone, note: String(args.note), added_at: '1', typed: phone, suspect: null, reason: 'manual' as const, evidence: null, hidden: false }))];
          return list;
        }
        case 'unsuppress_number':
          list = list.filter((s) => s.phone !== args.phone);
          return list;
        case 'import_suppressed':
          list = [...list, { phone: '+33612345678', note: '', added_at: '2', typed: '+33612345678', suspect: null, reason: 'manual' as const, evidence: null, hidden: false }];
          return { added: 1, already: 0, invalid: [{ line: 3, text: 'O6 12 34 56 78', problem: 'contains_letters' }] };
        default:
          throw `unknown command ${cmd}`;
      }
    });
    render(SuppressionList);
    const user = userEvent.setup();
    await screen.findByText('No numbers on the list.');

    await user.type(screen.getByTestId('suppress-numbers'), '+14155550100, +14155550101');
    await user.type(screen.getByTestId('suppress-note'), 'asked by phone');
    await user.click(screen.getByRole('button', { name: 'Add to the list' }));
    await waitFor(() => expect(screen.getByTestId('suppressed-list').textContent).toContain('+14155550101'));
    expect(calls.find((c) => c.cmd === 'suppress_numbers')?.args).toEqual({ phones: ['+14155550100', '+14155550101'], note: 'asked by phone' });

    await user.type(screen.getByTestId('suppress-numbers'), 'O6 12');
    await user.click(screen.getByRole('button', { name: 'Add to the list' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('"O6 12" is not a number a message can be sent to: it contains letters'));
    expect(screen.getByText('2 number(s) on the list.')).toBeTruthy();

    const file = new File(['phone\n+33612345678\nnot a number\n'], 'optout.csv', { type: 'text/csv' });
    await user.upload(screen.getByTestId('suppress-import'), file);
    await waitFor(() => expect(screen.getAllByRole('status')[0]?.textContent).toContain('1 number(s) added'));
    expect(screen.getByTestId('suppress-invalid-lines').textContent).toContain('line 3: “O6 12 34 56 78”: it contains letters');
    expect(calls.find((c) => c.cmd === 'import_suppressed')?.args.csv).toContain('+33612345678');

    await user.click(screen.getByRole('button', { name: 'Remove +14155550100 from the list' }));
    await waitFor(() => expect(screen.getByText('2 number(s) on the list.')).toBeTruthy());
    expect(screen.getByTestId('suppressed-list').textContent).not.toContain('+14155550100');
  });

  it('lists the entries that cannot be trusted, and trusts one added again', async () => {
    setLocale('en');
    let list: Suppressed[] = [
      { phone: '+33662345678', note: 'old', added_at: '1', typed: null, suspect: { kind: 'read_before_letters_refused' }, reason: 'manual', evidence: null, hidden: false },
      { phone: '+33612345670', note: '', added_at: '2', typed: '06 12 34 56 7O', suspect: { kind: 'reads_otherwise', now: null, problem: 'contains_letters' }, reason: 'manual', evidence: null, hidden: false },
      { phone: '+14155550100', note: '', added_at: '3', typed: '+14155550100', suspect: null, reason: 'manual', evidence: null, hidden: false },
      { phone: '#0a1b2c3d4e5f6071', note: 'asked to stop', added_at: '4', typed: null, suspect: null, reason: 'manual', evidence: null, hidden: true },
    ];
    const added: unknown[] = [];
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      if (cmd === 'suppressed_numbers') return list;
      if (cmd === 'suppress_numbers') {
        added.push(args);
        const phones = args.phones as string[];
        list = list.map((s) => (phones.includes(s.phone) ? { ...s, typed: s.phone, suspect: null } : s));
        return list;
      }
      throw `unknown command ${cmd}`;
    });
    render(SuppressionList);
    const user = userEvent.setup();
    const region = await screen.findByTestId('suppress-suspects');
    expect(region.textContent).toContain('2 number(s) on the list may not be the ones meant');
    expect(region.textContent).toContain('added before Relay refused letters');
    expect(region.textContent).toContain('typed as "06 12 34 56 7O", which is not a number: it contains letters');
    expect(region.textContent).not.toContain('+14155550100');
    // A number another desktop put on the list, known here only by its hash: said so, not shown.
    const listed = screen.getByTestId('suppressed-list').textContent ?? '';
    expect(listed).toContain('A number from another desktop');
    expect(listed).not.toContain('#0a1b2c3d4e5f6071');

    await user.click(screen.getByRole('button', { name: 'It is right: +33662345678 is the right number, keep it' }));
    await waitFor(() => expect(screen.getByTestId('suppress-suspects').textContent).toContain('1 number(s) on the list may not'));
    expect(added).toEqual([{ phones: ['+33662345678'], note: '' }]);
  });
});
