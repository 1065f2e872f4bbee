import { ProductStatus as P } from '../../entities';
import type { TransitionTable } from '../shared';

export type ProductStep = 'submit' | 'revise' | 'approve' | 'reject' | 'rejectRevision' | 'delist' | 'relist' | 'reopen' | 'ban';

/**
 * The product life cycle, one table. The shop submits, revises (an edit of a product on sale),
 * delists, relists and reopens (an edit of a delisted product); staff approve, reject and ban.
 * `rejectRevision` drops a pending edit of a product on sale, which stays on sale as approved.
 */
export const PRODUCT_TRANSITIONS: TransitionTable<P, ProductStep> = {
  submit: { from: [P.DRAFT, P.REJECTED], to: P.PENDING_REVIEW },
  revise: { from: [P.ACTIVE, P.PENDING_REVIEW], to: P.PENDING_REVIEW },
  approve: { from: [P.PENDING_REVIEW], to: P.ACTIVE },
  reject: { from: [P.PENDING_REVIEW], to: P.REJECTED },
  rejectRevision: { from: [P.PENDING_REVIEW], to: P.ACTIVE },
  delist: { from: [P.ACTIVE], to: P.DELISTED },
  relist: { from: [P.DELISTED], to: P.ACTIVE },
  reopen: { from: [P.DELISTED], to: P.DRAFT },
  ban: { from: [P.DRAFT, P.PENDING_REVIEW, P.ACTIVE, P.REJECTED, P.DELISTED], to: P.BANNED },
};
