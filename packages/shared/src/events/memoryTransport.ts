import type { DomainEvent, EventTransport, SubscribeOptions, Subscription } from './types.ts';

/**
 * The in-process stand-in for Redis Streams (embedded mode, one process). Same contract: each
 * group sees each event once, a failed handler is retried, nothing is lost while the process lives.
 */
export class MemoryTransport implements EventTransport {
  private readonly log: DomainEvent[] = [];
  private readonly groups = new Map<string, { offset: number; members: Set<SubscribeOptions>; running: boolean }>();

  async publish(events: DomainEvent[]): Promise<void> {
    this.log.push(...events);
    for (const name of this.groups.keys()) void this.drain(name);
  }

  subscribe(options: SubscribeOptions): Subscription {
    let group = this.groups.get(options.group);
    if (!group) {
      // A new group starts from the beginning of this process's history, like XGROUP CREATE ... 0.
      group = { offset: options.from === 'latest' ? this.log.length : 0, members: new Set(), running: false };
      this.groups.set(options.group, group);
    }
    group.members.add(options);
    void this.drain(options.group);
    return {
      close: async () => {
        group!.members.delete(options);
        if (options.ephemeral && group!.members.size === 0) this.groups.delete(options.group);
      },
    };
  }

  private async drain(name: string): Promise<void> {
    const group = this.groups.get(name)!;
    if (group.running) return;
    group.running = true;
    try {
      while (group.offset < this.log.length && group.members.size > 0) {
        const event = this.log[group.offset];
        const member = [...group.members][group.offset % group.members.size];
        if (!member.types || member.types.includes(event.type)) {
          try {
            await member.handler(event);
          } catch {
            await new Promise((r) => setTimeout(r, 100));
            continue;
          }
        }
        group.offset += 1;
      }
    } finally {
      group.running = false;
    }
  }

  async close(): Promise<void> {
    this.groups.clear();
  }
}
