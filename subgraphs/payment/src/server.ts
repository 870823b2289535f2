import type { EventTransport } from '@storefront/shared/events';
import { createLogger, createSubgraphServer, subgraphTypeDefs, type Logger } from '@storefront/shared';
import { createPaymentDb, type PaymentDb } from './db.ts';
import { createPaymentContext } from './context.ts';
import { resolvers } from './resolvers/index.ts';
import { privacyExportRoute, userDeletedConsumer } from './privacy.ts';
import { createSimulatedProvider, type PaymentProvider } from './services/provider.ts';
import { DEFAULT_RISK_RULES, type RiskRules } from './services/risk.ts';
import { paymentWebhookRoute, webhookSecret } from './webhooks.ts';

export interface PaymentServerOptions {
  /** When given, the outbox relay and this subgraph's event consumers run with the server. */
  events?: EventTransport;
  databaseUrl: string;
  db?: PaymentDb;
  log?: Logger;
  secret?: string;
  /** The payment service provider; the in-process simulated one by default. */
  provider?: PaymentProvider;
  /** Risk rules; DEFAULT_RISK_RULES, with any of them overridden here. */
  risk?: Partial<RiskRules>;
  /** Key of the provider webhook signatures; PAYMENT_WEBHOOK_SECRET (or a development default). */
  webhookSecret?: string;
  /** How far a webhook's timestamp may be from now (default 5 minutes). */
  webhookToleranceMs?: number;
}

/**
 * The simulated provider approves anyone holding `tok_success`, so production refuses to start
 * with it unless PAYMENT_PROVIDER=simulated says that is intended (a demo deployment).
 */
function defaultProvider(db: PaymentDb, env: NodeJS.ProcessEnv = process.env): PaymentProvider {
  if (env.NODE_ENV === 'production' && env.PAYMENT_PROVIDER !== 'simulated') {
    throw new Error('No payment provider is configured; set PAYMENT_PROVIDER=simulated to run the simulated one in production');
  }
  return createSimulatedProvider(db);
}

export async function createPaymentServer(options: PaymentServerOptions) {
  const db = options.db ?? createPaymentDb(options.databaseUrl);
  const provider = options.provider ?? defaultProvider(db);
  const log = options.log ?? createLogger('payment');
  const risk: RiskRules = { ...DEFAULT_RISK_RULES, ...options.risk };
  return createSubgraphServer({
    name: 'payment',
    typeDefs: subgraphTypeDefs(new URL('./schema.graphql', import.meta.url)),
    resolvers: resolvers as any,
    createContext: createPaymentContext(db, provider, risk),
    routes: [paymentWebhookRoute({ db, log, secret: options.webhookSecret ?? webhookSecret(), toleranceMs: options.webhookToleranceMs }), privacyExportRoute(db, options.secret)],
    ready: () => db.$queryRaw`SELECT 1`,
    onClose: () => (options.db ? Promise.resolve() : db.$disconnect()),
    log,
    secret: options.secret,
    events: options.events ? { transport: options.events, outbox: db, listenUrl: options.databaseUrl, consumers: [userDeletedConsumer(db)] } : undefined,
  });
}
