import type { LoyaltyTier } from '../generated/prisma/enums.ts';

/**
 * The one place tiers are defined: the lifetime points at which each tier starts. Lifetime points
 * are confirmed earnings net of reversals and adjustments; redeeming or expiring points does not
 * lower them, a reversal (a refunded order) does.
 */
export const TIER_THRESHOLDS: Readonly<Record<LoyaltyTier, number>> = Object.freeze({
  BRONZE: 0,
  SILVER: 1_000,
  GOLD: 5_000,
  PLATINUM: 20_000,
});

const ORDERED = (Object.entries(TIER_THRESHOLDS) as [LoyaltyTier, number][]).sort((a, b) => a[1] - b[1]);

export function tierFor(lifetimePoints: number): LoyaltyTier {
  let tier: LoyaltyTier = ORDERED[0][0];
  for (const [name, threshold] of ORDERED) if (lifetimePoints >= threshold) tier = name;
  return tier;
}

/** The tier above the one these lifetime points reach, or null at the top. */
export function nextTier(lifetimePoints: number): { tier: LoyaltyTier; pointsNeeded: number } | null {
  const next = ORDERED.find(([, threshold]) => threshold > lifetimePoints);
  return next ? { tier: next[0], pointsNeeded: next[1] - lifetimePoints } : null;
}

/**
 * Earning multiplier per tier, applied to the base rate of 1 point per whole currency unit paid
 * (services/points.ts): BRONZE ×1, SILVER ×1.25, GOLD ×1.5, PLATINUM ×2, rounded down per order.
 * The tier is the member's tier when the order's payment is processed.
 */
export const TIER_MULTIPLIERS: Readonly<Record<LoyaltyTier, number>> = Object.freeze({
  BRONZE: 1,
  SILVER: 1.25,
  GOLD: 1.5,
  PLATINUM: 2,
});

/** How long a tier lasts once reached: it never goes down before this, whatever reversals do. */
export const TIER_PERIOD_MS = 365 * 24 * 60 * 60 * 1000;

const rank = (tier: LoyaltyTier) => ORDERED.findIndex(([name]) => name === tier);

/**
 * The tier after lifetime points change. Upgrades happen at once (a new period starts). A lower
 * tier (after a reversal or a negative adjustment) only applies once the current period is over.
 */
export function tierAfter(current: { tier: LoyaltyTier; tierPeriodStart: Date }, lifetimePoints: number, now: Date): { tier: LoyaltyTier; periodStart: Date } {
  const reached = tierFor(lifetimePoints);
  if (reached === current.tier) return { tier: current.tier, periodStart: current.tierPeriodStart };
  if (rank(reached) > rank(current.tier)) return { tier: reached, periodStart: now };
  if (now.getTime() - current.tierPeriodStart.getTime() >= TIER_PERIOD_MS) return { tier: reached, periodStart: now };
  return { tier: current.tier, periodStart: current.tierPeriodStart };
}
