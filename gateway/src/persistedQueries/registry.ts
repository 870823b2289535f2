import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@storefront/shared';
import { parseManifest, type ManifestOperation } from './manifest.ts';

export interface PersistedQueryList {
  name: string;
  /** Operations by id (the SHA-256 of the body). */
  operations: ReadonlyMap<string, ManifestOperation>;
}

/**
 * Every manifest in a directory (`<list>.json`), reloaded when the files change: the directory is
 * polled (names, sizes and modification times), so a deploy that only ships new manifests needs no
 * gateway restart. A manifest that fails to load keeps its previous version in service.
 */
export class PersistedQueryRegistry {
  private lists = new Map<string, PersistedQueryList>();
  private all = new Map<string, ManifestOperation>();
  private signature: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<boolean> | null = null;
  /** How many times the manifests were (re)loaded. */
  loads = 0;

  constructor(readonly dir: string, private readonly log: Logger, private readonly pollMs = 5_000) {}

  async start(): Promise<void> {
    await this.reload();
    if (this.pollMs > 0) {
      this.timer = setInterval(() => void this.reload(), this.pollMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  list(name: string | null | undefined): PersistedQueryList | undefined {
    return name ? this.lists.get(name) : undefined;
  }

  /** An operation of any list, by id. Ids are content hashes, so whichever list holds it, the body is the same. */
  operation(id: string): ManifestOperation | undefined {
    return this.all.get(id);
  }

  listNames(): string[] {
    return [...this.lists.keys()].sort();
  }

  /** Loads the manifests if the directory changed since the last look; true when something was reloaded. */
  reload(): Promise<boolean> {
    this.running ??= this.load().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async load(): Promise<boolean> {
    let files: { name: string; path: string; tag: string }[];
    try {
      const names = (await readdir(this.dir)).filter((n) => n.endsWith('.json')).sort();
      files = await Promise.all(
        names.map(async (name) => {
          const path = join(this.dir, name);
          const s = await stat(path);
          return { name, path, tag: `${name}:${s.size}:${s.mtimeMs}:${s.ctimeMs}` };
        }),
      );
    } catch (e) {
      if (this.signature !== 'missing') this.log.error({ err: e, dir: this.dir }, 'persisted query manifests unreadable; keeping the loaded ones');
      this.signature = 'missing';
      return false;
    }
    const signature = files.map((f) => f.tag).join('|');
    if (signature === this.signature) return false;

    const next = new Map<string, PersistedQueryList>();
    for (const file of files) {
      const name = file.name.slice(0, -'.json'.length);
      try {
        const manifest = parseManifest(await readFile(file.path, 'utf8'), file.name);
        next.set(name, { name, operations: new Map(manifest.operations.map((op) => [op.id, op])) });
      } catch (e) {
        const previous = this.lists.get(name);
        this.log.error({ err: e, list: name }, previous ? 'persisted query manifest invalid; keeping its previous version' : 'persisted query manifest invalid; list not loaded');
        if (previous) next.set(name, previous);
      }
    }
    const all = new Map<string, ManifestOperation>();
    for (const list of next.values()) for (const [id, op] of list.operations) all.set(id, op);
    this.lists = next;
    this.all = all;
    this.signature = signature;
    this.loads += 1;
    this.log.info({ lists: Object.fromEntries([...next.values()].map((l) => [l.name, l.operations.size])) }, 'persisted query manifests loaded');
    return true;
  }
}
