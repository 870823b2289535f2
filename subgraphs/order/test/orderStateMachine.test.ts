import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES, TRANSITIONS, canTransition } from '../src/services/orderStateMachine.ts';
import { isTerminal } from '../src/services/orderStateMachine.ts';

// The lifecycle as specified, written out independently of the module's table.
const ALLOWED = new Set([
  'PENDING_PAYMENT>PAID', 'PENDING_PAYMENT>PAYMENT_FAILED', 'PENDING_PAYMENT>CANCELLED',
  'PAID>FULFILLED', 'PAID>CANCELLED', 'PAID>REFUNDED', 'PAID>PARTIALLY_REFUNDED',
  'FULFILLED>SHIPPED', 'FULFILLED>REFUNDED', 'FULFILLED>PARTIALLY_REFUNDED',
  'SHIPPED>DELIVERED', 'SHIPPED>REFUNDED', 'SHIPPED>PARTIALLY_REFUNDED',
  'DELIVERED>REFUNDED', 'DELIVERED>PARTIALLY_REFUNDED',
  'PARTIALLY_REFUNDED>REFUNDED', 'PARTIALLY_REFUNDED>PARTIALLY_REFUNDED',
]);

const ALL = ['PENDING_PAYMENT', 'PAID', 'FULFILLED', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'PAYMENT_FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED'] as const;

describe('order state machine table', () => {
  it('covers every status of the contract', () => {
    expect([...ORDER_STATUSES].sort()).toEqual([...ALL].sort());
  });

  it.each(ALL.flatMap((from) => ALL.map((to) => [from, to] as const)))('%s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(ALLOWED.has(`${from}>${to}`));
  });

  it('allows exactly the specified transitions and nothing else', () => {
    const table = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`));
    expect(new Set(table)).toEqual(ALLOWED);
    expect(table).toHaveLength(ALLOWED.size);
  });

  it('treats cancelled, failed and fully refunded orders as final', () => {
    expect(ALL.filter(isTerminal).sort()).toEqual(['CANCELLED', 'PAYMENT_FAILED', 'REFUNDED']);
  });

  it('never leads back to PENDING_PAYMENT', () => {
    for (const from of ALL) expect(canTransition(from, 'PENDING_PAYMENT')).toBe(false);
  });
});
