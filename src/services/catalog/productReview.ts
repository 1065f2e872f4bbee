import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { lockById } from '../../db/rows';
import { Product, ProductAction, ProductStatus as P, ProductVariant } from '../../entities';
import { Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { recordAudit } from '../platform';
import { assertShopUnrestricted } from '../risk';
import { checkListingContent, checkListingVariants } from './listing';
import { effectiveTemplate, lockProductAsMember, recordStep, refreshed } from './products';
import { PRODUCT_TRANSITIONS, type ProductStep as Step } from './productLifecycle';
import { allowedActions, charLength, transition } from '../shared';

const SHOP_STEPS: Partial<Record<Step, ProductAction>> = { submit: ProductAction.SUBMIT, delist: ProductAction.DELIST, relist: ProductAction.RELIST };
const STAFF_STEPS: Partial<Record<Step, ProductAction>> = { approve: ProductAction.APPROVE, reject: ProductAction.REJECT, ban: ProductAction.BAN };

/** What the shop (or staff, for `staff`) may do next with a product in `status`. */
export function nextProductActions(status: P, staff: boolean): ProductAction[] {
  const steps = staff ? STAFF_STEPS : SHOP_STEPS;
  return allowedActions(PRODUCT_TRANSITIONS, status).flatMap((s) => (steps[s] ? [steps[s]] : []));
}

/** DRAFT | REJECTED → PENDING_REVIEW, once the product meets the listing standard. */
export async function submitProduct(ctx: Context, id: string): Promise<Product> {
  return ctx.em.transactional(async (em) => {
    const product = await lockProductAsMember(ctx, em, id);
    const from = product.status;
    const to = transition(PRODUCT_TRANSITIONS, 'submit', from, 'product');
    await assertShopUnrestricted(em, product.shop.id, ['input', 'id']);
    if (from === P.REJECTED && !product.editedSinceDecision) {
      throw new Failure(UserErrorCode.PRODUCT_UNCHANGED, 'Edit the product to address the rejection before submitting it again', ['input', 'id']);
    }
    const problems = new Problems();
    checkListingContent(problems, product, await effectiveTemplate(em, product.category.id), ['product']);
    const variants = await em.find(ProductVariant, { product, archived: false }, { orderBy: { position: 'asc', id: 'asc' } });
    checkListingVariants(problems, variants.map((v) => ({ price: v.price, compareAtPrice: v.compareAtPrice, options: v.options })), ['product']);
    problems.throwIfAny();
    product.status = to;
    product.submittedAt = ctx.now();
    recordStep(ctx, em, product, ProductAction.SUBMIT, from);
    return refreshed(em, product);
  });
}

async function lockForStaff(em: EntityManager, productId: string): Promise<Product> {
  const product = await lockById(em, Product, productId);
  if (!product) throw new NotFoundError('No such product');
  return product;
}

function requireReason(reason: string | null | undefined): string {
  const trimmed = (reason ?? '').trim();
  if (charLength(trimmed) < 3 || charLength(trimmed) > 1000) throw new Failure(UserErrorCode.REASON_REQUIRED, 'Give a reason (3 to 1000 characters)', ['input', 'reason']);
  return trimmed;
}

/**
 * Staff review (REVIEWER, OPERATIONS). Approving a pending edit puts it on sale; rejecting one
 * drops it and the approved version stays on sale. A new product is approved onto sale (it shows
 * once its shop is ACTIVE) or rejected back to the shop.
 */
export async function reviewProduct(ctx: Context, input: { productId: string; decision: 'APPROVE' | 'REJECT'; reason?: string | null }): Promise<Product> {
  const reason = input.decision === 'REJECT' ? requireReason(input.reason) : input.reason?.trim() || null;
  if (reason && charLength(reason) > 1000) throw new Failure(UserErrorCode.INVALID_INPUT, 'A reason has at most 1000 characters', ['input', 'reason']);
  return ctx.em.transactional(async (em) => {
    const product = await lockForStaff(em, input.productId);
    const from = product.status;
    const revision = product.pendingRevision;
    if (input.decision === 'APPROVE') {
      product.status = transition(PRODUCT_TRANSITIONS, 'approve', from, 'product');
      if (revision) {
        Object.assign(product, {
          title: revision.title,
          description: revision.description,
          category: em.getReference('Category', revision.categoryId),
          brand: revision.brandId ? em.getReference('Brand', revision.brandId) : null,
          tags: revision.tags,
          imageUrls: revision.imageUrls,
          attributes: revision.attributes,
        });
      }
      product.listed = true;
      product.listedAt ??= ctx.now();
    } else {
      product.status = transition(PRODUCT_TRANSITIONS, product.listed ? 'rejectRevision' : 'reject', from, 'product');
      product.editedSinceDecision = false;
    }
    product.pendingRevision = null;
    recordStep(ctx, em, product, input.decision === 'APPROVE' ? ProductAction.APPROVE : ProductAction.REJECT, from, reason);
    recordAudit(ctx, em, {
      action: `product.${input.decision === 'APPROVE' ? 'approve' : 'reject'}`,
      targetType: 'Product',
      targetId: product.id,
      before: { status: from, revision: Boolean(revision) },
      after: { status: product.status, reason },
    });
    return refreshed(em, product);
  });
}

/** Staff ban (OPERATIONS, RISK): off sale for good, whatever the state; the shop cannot undo it. */
export async function banProduct(ctx: Context, input: { productId: string; reason: string }): Promise<Product> {
  const reason = requireReason(input.reason);
  return ctx.em.transactional(async (em) => banLockedProduct(ctx, em, await lockForStaff(em, input.productId), reason));
}

/**
 * Bans `product`, locked by the caller's transaction, with a checked reason: the one ban, used by
 * `banProduct` and by an upheld product report (services/risk/reports.ts) in its own transaction.
 */
export async function banLockedProduct(ctx: Context, em: EntityManager, product: Product, reason: string): Promise<Product> {
  const from = product.status;
  product.status = transition(PRODUCT_TRANSITIONS, 'ban', from, 'product');
  product.listed = false;
  product.pendingRevision = null;
  recordStep(ctx, em, product, ProductAction.BAN, from, reason);
  recordAudit(ctx, em, { action: 'product.ban', targetType: 'Product', targetId: product.id, before: { status: from }, after: { status: product.status, reason } });
  return refreshed(em, product);
}

/** The shop takes a product off sale (ACTIVE → DELISTED) or puts it back (DELISTED → ACTIVE, no review needed). */
export async function setProductListed(ctx: Context, id: string, listed: boolean): Promise<Product> {
  return ctx.em.transactional(async (em) => {
    const product = await lockProductAsMember(ctx, em, id);
    const from = product.status;
    product.status = transition(PRODUCT_TRANSITIONS, listed ? 'relist' : 'delist', from, 'product');
    product.listed = listed;
    recordStep(ctx, em, product, listed ? ProductAction.RELIST : ProductAction.DELIST, from);
    return refreshed(em, product);
  });
}
