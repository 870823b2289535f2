import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, Kind, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';
import type { OperationLimits } from './config.ts';
import type { Measure } from './cost.ts';

/** The code every operation-limit rejection carries; `extensions.limit` names the limit. */
export const LIMIT_CODE = 'QUERY_TOO_COMPLEX';

export type LimitName = 'maxDepth' | 'maxAliases' | 'maxRootFields' | 'maxTokens' | 'maxDirectives' | 'maxFields' | 'maxCost' | 'costBudget';
export const LIMIT_NAMES: LimitName[] = ['maxDepth', 'maxAliases', 'maxRootFields', 'maxTokens', 'maxDirectives', 'maxFields', 'maxCost', 'costBudget'];

export const limitError = (message: string, limit: LimitName, max: number, extra: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code: LIMIT_CODE, limit, max, ...extra } });

/** Reports an armor rejection as our error: its message without armor's "Syntax Error: " prefix, and which limit. */
const reportAs = (limit: LimitName, max: number) => (context: ValidationContext | null, error: GraphQLError) =>
  context?.reportError(limitError(error.message.replace(/^Syntax Error:\s*/, ''), limit, max));

function countRootFields(set: SelectionSetNode, context: ValidationContext, seen: Set<string>): number {
  let count = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename') count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countRootFields(selection.selectionSet, context, seen);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) count += countRootFields(fragment.selectionSet, context, seen);
    }
  }
  return count;
}

/** At most `max` fields at the root of an operation (aliases and fragments included, __typename not). */
export const maxRootFieldsRule = (max: number): ValidationRule => (context) => ({
  OperationDefinition(node) {
    const found = countRootFields(node.selectionSet, context, new Set());
    if (found > max) context.reportError(limitError(`Root fields limit of ${max} exceeded, found ${found}.`, 'maxRootFields', max, { found }));
  },
});

/**
 * Validation rules for the static limits. Depth, aliases and directives are graphql-armor's rules
 * (their errors re-reported with the limit's name); root fields is ours (armor has none). Tokens
 * are counted by graphql-js's own parser (`parseOptions.maxTokens`), which stops at the limit
 * instead of lexing a huge document twice. Armor's cost rule is not used: our cost analysis knows
 * list sizes (see cost.ts), and field suggestions are hidden by Apollo Server in production.
 * Validated documents are cached by Apollo, so the rules run once per distinct operation.
 */
export function limitValidation(limits: OperationLimits): { validationRules: ValidationRule[]; parseOptions: { maxTokens?: number } } {
  if (!limits.enabled) return { validationRules: [], parseOptions: {} };
  const armor = new ApolloArmor({
    blockFieldSuggestion: { enabled: false },
    costLimit: { enabled: false },
    maxTokens: { enabled: false },
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ignoreIntrospection: true, propagateOnRejection: false, onReject: [reportAs('maxDepth', limits.maxDepth)] },
    maxAliases: { n: limits.maxAliases, propagateOnRejection: false, onReject: [reportAs('maxAliases', limits.maxAliases)] },
    maxDirectives: { n: limits.maxDirectives, propagateOnRejection: false, onReject: [reportAs('maxDirectives', limits.maxDirectives)] },
  });
  const { validationRules } = armor.protect();
  return {
    validationRules: [...(validationRules as ValidationRule[]), maxRootFieldsRule(limits.maxRootFields)],
    parseOptions: { maxTokens: limits.maxTokens },
  };
}

/** graphql-js's message when `maxTokens` stops the parser (16.x spells it "more that"). */
export const TOKEN_LIMIT_MESSAGE = /Document contains more tha[nt] (\d+) tokens/;

/** The token limit a parse error reports, or null when the parser stopped for another reason. */
export function tokenLimitOf(parseErrorMessage: string): number | null {
  const found = TOKEN_LIMIT_MESSAGE.exec(parseErrorMessage);
  return found ? Number(found[1]) : null;
}

export const tokenLimitMessage = (max: number) => `Token limit of ${max} exceeded; parsing stopped.`;

/** The limit a measured operation exceeds (its fields with fragments expanded, then its cost), or null. */
export function measureLimitError(limits: OperationLimits, { cost, fields }: Measure, extra: Record<string, unknown> = {}): GraphQLError | null {
  if (fields > limits.maxFields) {
    return limitError(`Fields limit of ${limits.maxFields} exceeded once fragments are expanded, found ${fields}.`, 'maxFields', limits.maxFields, { found: fields, ...extra });
  }
  if (cost > limits.maxCost) return limitError(`Operation cost limit of ${limits.maxCost} exceeded, found ${cost}.`, 'maxCost', limits.maxCost, { cost, ...extra });
  return null;
}
