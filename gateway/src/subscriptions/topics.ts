import { GraphQLError, print, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Logger, Viewer } from '@storefront/shared';
import type { GatewayContext } from '../context.ts';
import type { SubscriptionPlanner } from './planner.ts';
import type { UpstreamConnections } from './upstream.ts';
import type { createEventExecutor } from './eventExecutor.ts';
import type { ResultChannel } from './channel.ts';

export const identityKey = (v: Viewer) => JSON.stringify([v.userId ?? null, v.clientId ?? null, [...v.roles].sort(), [...v.scopes].sort()]);

interface Topic {
  channels: Set<ResultChannel>;
  stop: () => void;
}

/**
 * Identical subscriptions (same operation, variables and identity) share one upstream stream and
 * one execution of the rest of the plan per event; the result fans out to every subscriber. Sharing
 * only within one identity keeps it safe: authorization was decided for exactly that caller.
 */
export class Topics {
  private readonly topics = new Map<string, Topic>();

  constructor(
    private readonly planner: SubscriptionPlanner,
    private readonly upstream: UpstreamConnections,
    private readonly prepare: ReturnType<typeof createEventExecutor>,
    private readonly log: Logger,
  ) {}

  get upstreamCount() {
    return this.topics.size;
  }

  join(channel: ResultChannel, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>, context: GatewayContext): () => void {
    const key = `${identityKey(context.viewer)}\n${operationName ?? ''}\n${print(document)}\n${JSON.stringify(variables)}`;
    let topic = this.topics.get(key);
    if (!topic) {
      const node = this.planner.plan(document, operationName);
      const run = this.prepare(node, document, operationName, variables, context);
      const upstreamVariables = Object.fromEntries((node.primary.variableUsages ?? []).filter((v) => v in variables).map((v) => [v, variables[v]]));
      let chain = Promise.resolve();
      const created: Topic = { channels: new Set(), stop: () => {} };
      created.stop = this.upstream.subscribe(
        node.primary.serviceName,
        context.viewer,
        { query: node.primary.operation, variables: upstreamVariables, operationName: node.primary.operationName },
        {
          // Events are executed one after another so subscribers see them in the order they happened.
          next: (event) => {
            // A refusal (the subscribe resolver threw) arrives as a result with errors and no data.
            if (!event.data && event.errors?.length) {
              for (const ch of [...created.channels]) ch.fail(event.errors);
              return;
            }
            chain = chain.then(async () => {
              let result: ExecutionResult;
              try {
                result = await run(event);
              } catch (e) {
                this.log.error({ err: e }, 'subscription event execution failed');
                result = { errors: [new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] };
              }
              for (const ch of created.channels) ch.push(result);
            });
          },
          error: (error) => {
            const errors = Array.isArray(error) ? error : [error];
            for (const ch of [...created.channels]) ch.fail(errors);
          },
          complete: () => {
            for (const ch of [...created.channels]) ch.end();
          },
        },
      );
      topic = created;
      this.topics.set(key, topic);
    }
    topic.channels.add(channel);
    const joined = topic;
    return () => {
      joined.channels.delete(channel);
      if (joined.channels.size === 0 && this.topics.get(key) === joined) {
        this.topics.delete(key);
        joined.stop();
      }
    };
  }
}
