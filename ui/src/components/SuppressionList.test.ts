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
          if (bad) throw appError('invalid_input', said('phone.invalid', { value: bad }), { phones: said('phone.invalid', { value: bad }) });
          list = [...list, ...phones.map((phone) => ({ phone, note: String(args.note), added_at: '1' }))];
          return list;
        }
        case 'unsuppress_number':
          list = list.filter((s) => s.phone !== args.phone);
          return list;
        case 'import_suppressed':
          list = [...list, { phone: '+33612345678', note: '', added_at: '2' }];
          return { added: 1, already: 0, invalid: [[3, 'not a number']] };
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

    await user.type(screen.getByTestId('suppress-numbers'), '12');
    await user.click(screen.getByRole('button', { name: 'Add to the list' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('"12" is not a valid phone number'));
    expect(screen.getByText('2 number(s) on the list.')).toBeTruthy();

    const file = new File(['phone\n+33612345678\nnot a number\n'], 'optout.csv', { type: 'text/csv' });
    await user.upload(screen.getByTestId('suppress-import'), file);
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 number(s) added'));
    expect(screen.getByRole('status').textContent).toContain('3');
    expect(calls.find((c) => c.cmd === 'import_suppressed')?.args.csv).toContain('+33612345678');

    await user.click(screen.getByRole('button', { name: 'Remove +14155550100 from the list' }));
    await waitFor(() => expect(screen.getByText('2 number(s) on the list.')).toBeTruthy());
    expect(screen.getByTestId('suppressed-list').textContent).not.toContain('+14155550100');
  });
});
