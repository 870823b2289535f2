/** Entities other subgraphs own, as loyalty sees them: only their keys. */
export interface UserRef {
  id: string;
}

export interface OrderRef {
  id: string;
}
