/** Money is integer minor units plus an ISO 4217 code; it never passes through a float. */
export interface Money {
  amount: number;
  currencyCode: string;
}

export const money = (amount: number, currencyCode = 'USD'): Money => {
  if (!Number.isSafeInteger(amount)) throw new Error(`Money amount must be an integer number of minor units, got ${amount}`);
  return { amount, currencyCode };
};
