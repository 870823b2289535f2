import { hasScope, type Viewer } from '@storefront/shared';

/** Customers and partners see ACTIVE products only; catalog editors see drafts and archived ones too. */
export const seesUnpublished = (viewer: Viewer) => hasScope(viewer, 'catalog:write');

export const isVisible = (viewer: Viewer, product: { status: string }) => product.status === 'ACTIVE' || seesUnpublished(viewer);
