/** An order as this subgraph sees it: only its key. The order subgraph owns everything else. */
export interface OrderRef {
  id: string;
}
