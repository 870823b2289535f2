import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan, type SubscriptionNode } from '@apollo/query-planner';
import { print, type DocumentNode, type GraphQLSchema } from 'graphql';

/**
 * Plans subscriptions with the same federation query planner the gateway uses for queries. A
 * subscription plan is a primary fetch to the owning subgraph plus the rest of the plan, which
 * runs once per event to fill in fields from other subgraphs.
 */
export class SubscriptionPlanner {
  readonly supergraphSchema: GraphQLSchema;
  readonly apiSchema: Schema;
  readonly apiGraphQLSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly cache = new Map<string, SubscriptionNode>();

  constructor(supergraphSdl: string) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.planner = new QueryPlanner(supergraph);
    this.apiSchema = supergraph.apiSchema();
    this.apiGraphQLSchema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
  }

  plan(document: DocumentNode, operationName?: string | null): SubscriptionNode {
    const key = `${operationName ?? ''}\n${print(document)}`;
    let node = this.cache.get(key);
    if (!node) {
      const operation = operationFromDocument(this.apiSchema, document, { operationName: operationName ?? undefined });
      const plan: QueryPlan = this.planner.buildQueryPlan(operation);
      if (plan.node?.kind !== 'Subscription') throw new Error('Not a subscription operation');
      node = plan.node;
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(key, node);
    }
    return node;
  }
}
