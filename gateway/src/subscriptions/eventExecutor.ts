import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { QueryPlan, SubscriptionNode } from '@apollo/query-planner';
import { GraphQLError, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Logger } from '@storefront/shared';
import type { GatewayContext } from '../context.ts';
import type { SubscriptionPlanner } from './planner.ts';

const EVENT_SOURCE = '__subscription_event__';

/**
 * Runs the rest of a subscription plan for one event. The event is handed in as the result of the
 * primary fetch: the plan becomes `Sequence(primary, rest)` where the primary fetch is served by a
 * data source that returns the event, so the gateway's own executor resolves every other field
 * (and shapes the response) exactly as it does for queries.
 */
export function createEventExecutor(planner: SubscriptionPlanner, serviceMap: ServiceMap, log: Logger) {
  return function prepare(node: SubscriptionNode, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>, context: GatewayContext) {
    const operationContext = buildOperationContext({ schema: planner.apiGraphQLSchema, operationDocument: document, operationName: operationName ?? undefined });
    const primary = { ...node.primary, serviceName: EVENT_SOURCE };
    const plan: QueryPlan = { kind: 'QueryPlan', node: node.rest ? { kind: 'Sequence', nodes: [primary, node.rest] } : primary };
    return async (event: ExecutionResult): Promise<ExecutionResult> => {
      const upstreamErrors = event.errors?.map((e: any) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions }));
      if (upstreamErrors?.length && !event.data) return { errors: upstreamErrors };
      const eventSource: GraphQLDataSource = { process: async () => ({ data: event.data as Record<string, any> }) };
      const requestContext: any = { request: { variables, operationName }, context, logger: log, metrics: {} };
      const result = await executeQueryPlan(plan, { ...serviceMap, [EVENT_SOURCE]: eventSource }, requestContext, operationContext, planner.supergraphSchema, planner.apiSchema);
      return upstreamErrors?.length ? { ...result, errors: [...upstreamErrors, ...(result.errors ?? [])] } : result;
    };
  };
}
