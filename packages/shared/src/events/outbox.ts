import { randomUUID } from 'node:crypto';
import pg from 'pg';
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

export interface OutboxRelayOptions {
  /**
   * The database to LISTEN on for the `outbox` notifications the OutboxEvent trigger sends on commit: the relay
   * publishes at once and polls only as a fallback.
   */
  listenUrl?: string;
  /** How often to poll: by default every 250 ms without `listenUrl`, every 5 s (the fallback) with it. */
  pollMs?: number;
}

/**
 * Publishes committed outbox rows to the transport. Rows are claimed with SKIP LOCKED, so several
 * relays (replicas) can run side by side; a row is marked published only after the transport has
 * accepted it, so a transport outage delays events but never loses them (delivery is at least once).
 * With `listenUrl` it is woken by the commit itself; the slow poll behind it covers a notification
 * missed while its listening connection was down.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** A kick arrived while a round was running: run another, the rows it was about may be past the last read. */
  private again = false;
  private stopped = false;
  private listener: OutboxListener | null = null;
  private readonly pollMs: number;

  constructor(
    private readonly db: OutboxDb,
    private readonly transport: EventTransport,
    private readonly source: string,
    private readonly log?: Logger,
    options: OutboxRelayOptions = {},
  ) {
    if (options.listenUrl) this.listener = new OutboxListener(options.listenUrl, () => void this.kick(), log);
    this.pollMs = options.pollMs ?? (options.listenUrl ? 5_000 : 250);
  }

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

  /** Publishes everything pending now (on a notification, on the poll, and in tests). */
  kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          while (!this.stopped && (await this.publishBatch()) > 0);
        } while (this.again && !this.stopped);
      } catch (e) {
        this.log?.warn({ err: e }, 'outbox relay could not publish; will retry');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  start(): this {
    this.listener?.start();
    const tick = async () => {
      await this.kick();
      if (!this.stopped) this.timer = setTimeout(tick, this.pollMs);
    };
    this.timer = setTimeout(tick, 0);
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.listener?.stop();
    await this.running;
  }
}

/** One connection LISTENing on `outbox`, reconnecting (and waking the relay, which may have missed a commit) after a loss. */
class OutboxListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly url: string, private readonly onNotify: () => void, private readonly log?: Logger) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'outbox-relay' });
    client.on('notification', () => this.onNotify());
    client.on('error', (err) => {
      this.log?.warn({ err }, 'outbox listener connection lost; polling until it is back');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query('LISTEN outbox');
      if (this.stopped) return void client.end().catch(() => {});
      this.client = client;
      this.onNotify();
    } catch (err) {
      this.log?.warn({ err }, 'outbox listener could not connect; polling until it can');
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.client === client) this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.stopped) void this.connect();
    }, 1_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
    }
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
