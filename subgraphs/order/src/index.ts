export { createOrderServer, type OrderServerOptions } from './server.ts';
export { createOrderDb, type OrderDb } from './db.ts';
export { seedOrder } from './seed.ts';
export { transition, canTransition, TRANSITIONS, ORDER_STATUSES, type TransitionResult, type TransitionOptions } from './services/orderStateMachine.ts';
export { nextOrderNumber } from './services/orders.ts';
export type { OrderStatusChangedEvent } from './events.ts';
