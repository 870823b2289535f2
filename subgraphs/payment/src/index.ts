export { createPaymentServer, type PaymentServerOptions } from './server.ts';
export { createPaymentDb, type PaymentDb } from './db.ts';
export { createPaymentContext, type PaymentContext } from './context.ts';
export { seedPayment } from './seed.ts';
export { createSimulatedProvider, ProviderTimeoutError, TEST_TOKENS, type PaymentProvider } from './services/provider.ts';
