import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import ReviewBudget from './ReviewBudget.svelte';
import { setLocale } from '../../lib/i18n/index.svelte';
import type { BudgetView } from '../../lib/api';

const view = (patch: Partial<BudgetView>): BudgetView => ({
  limit: { kind: 'numbers', numbers: 2000 },
  in_portfolio: true,
  used: 1800,
  available: 200,
  reach: 600,
  reached_lately: 100,
  now: 300,
  waiting: 300,
  releases: [{ at: String(Date.UTC(2026, 11, 7, 9, 0)), count: 120 }, { at: String(Date.UTC(2026, 11, 7, 10, 0)), count: 300 }],
  all_by: String(Date.UTC(2026, 11, 7, 10, 0)),
  ...patch,
});

function serve(budget: BudgetView | null) {
  mockIPC((cmd, args) => {
    if (cmd === 'whatsapp_budget') {
      expect(args).toEqual({ audienceId: 'aud1', integrationId: 'wa1' });
      return budget;
    }
    throw `unknown command ${cmd}`;
  });
}

describe('ReviewBudget', () => {
  it('says what goes now, what waits for the budget and when it can go', async () => {
    setLocale('en');
    serve(view({}));
    render(ReviewBudget, { audienceId: 'aud1', integrationId: 'wa1' });
    await waitFor(() => expect(screen.getByTestId('budget-limit').textContent).toBe('2,000'));
    expect(screen.getByTestId('budget-used').textContent).toBe('1,800');
    expect(screen.getByTestId('budget-available').textContent).toBe('200');
    expect(screen.getByTestId('budget-now').textContent).toBe('300');
    expect(screen.getByTestId('budget-waiting').textContent).toBe('300');
    expect(screen.getByText(/600 numbers \(100 reached lately/)).toBeTruthy();
    expect(screen.getByTestId('budget-releases').querySelectorAll('li').length).toBe(2);
  });

  it('warns when the limit is not set, and says nothing waits when everyone fits', async () => {
    setLocale('en');
    serve(view({ limit: { kind: 'not_set' } }));
    const first = render(ReviewBudget, { audienceId: 'aud1', integrationId: 'wa1' });
    await waitFor(() => expect(screen.getByTestId('budget-not-set').textContent).toContain('cannot keep it'));
    first.unmount();
    serve(view({ waiting: 0, now: 600, releases: [], all_by: null }));
    render(ReviewBudget, { audienceId: 'aud1', integrationId: 'wa1' });
    await waitFor(() => expect(screen.getByText('Everyone fits in the budget.')).toBeTruthy());
    expect(screen.queryByTestId('budget-waiting')).toBeNull();
  });
});
