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
