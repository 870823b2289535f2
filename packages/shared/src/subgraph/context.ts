import type { Logger } from '../log.ts';
import type { Viewer } from '../auth/viewer.ts';

/** What every subgraph request carries before the subgraph adds its own loaders and services. */
export interface BaseRequestContext {
  requestId: string;
  viewer: Viewer;
  log: Logger;
}
