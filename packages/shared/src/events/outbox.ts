import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { DomainEvent, EventTransport } from './types.ts';

/** The row to create in a subgraph's OutboxEvent table, inside the transaction that changes state. */
export function outboxEvent(type: string, aggregateId: string, payload: Record<string, unknown>) {
  return { id: randomUUID(), type, aggregateId, payload: payload as any };
}

/** The part of a Prisma client the relay and consumers use (every subgraph's client has it). */
export interface OutboxDb {
  $transaction<T>(fn: (tx: any) => Promise<T>, options?: { timeout?: number }): Promise<T>;
}

interface OutboxRow { id: string; type: string; aggregateId: string; payload: any; occurredAt: Date }

/**
 * Publishes committed outbox rows to the transport. Rows are claimed with SKIP LOCKED, so several
 * relays (replicas) can run side by side; a row is marked published only after the transport has
 * accepted it, so a transport outage delays events but never loses them (delivery is at least once).
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly db: OutboxDb, private readonly transport: EventTransport, private readonly source: string, private readonly log?: Logger, private readonly intervalMs = 250) {}

  /** Publishes one batch; returns how many events went out. */
  async publishBatch(limit = 200): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const rows: OutboxRow[] = await tx.$queryRaw`
        SELECT "id", "type", "aggregateId", "payload", "occurredAt" FROM "OutboxEvent"
        WHERE "publishedAt" IS NULL ORDER BY "occurredAt", "id" LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return 0;
      const events: DomainEvent[] = rows.map((r) => ({
        id: r.id, type: r.type, aggregateId: r.aggregateId, payload: r.payload, occurredAt: r.occurredAt.toISOString(), source: this.source,
      }));
      await this.transport.publish(events);
      await tx.$executeRaw`UPDATE "OutboxEvent" SET "publishedAt" = now() WHERE "id" = ANY(${rows.map((r) => r.id)}::text[])`;
      return rows.length;
    }, { timeout: 15_000 });
  }

  /** Publishes everything pending now (tests, and right after a commit for low latency). */
  kick(): Promise<void> {
    this.running ??= (async () => {
      try {
        while (!this.stopped && (await this.publishBatch()) > 0);
      } catch (e) {
        this.log?.warn({ err: e }, 'outbox relay could not publish; will retry');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  start(): this {
    const tick = async () => {
      await this.kick();
      if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, 0);
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * Runs `apply` for an event at most once per consumer: the ProcessedEvent row and the effect commit
 * in one transaction, so a redelivered or replayed event is skipped. Returns false when skipped.
 */
export async function applyOnce(db: OutboxDb, consumer: string, eventId: string, apply: (tx: any) => Promise<void>): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const inserted: number = await tx.$executeRaw`
      INSERT INTO "ProcessedEvent" ("consumer", "eventId") VALUES (${consumer}, ${eventId}) ON CONFLICT DO NOTHING`;
    if (inserted === 0) return false;
    await apply(tx);
    return true;
  });
}
