import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { AttributeType, Category, type CategoryAttribute } from '../../entities';
import { Failure, Problems, UserErrorCode } from '../../errors';
import { lockById } from '../../db/rows';
import { recordAudit } from '../platform';
import { refreshProducts } from './catalogIndex';
import { checkText, decimalPlaces, guardUnique, isValidSlug, slugify } from '../shared';

export interface AttributeInput {
  name: string;
  type: AttributeType;
  allowedValues?: string[] | null;
  required: boolean;
}

export interface CategoryInput {
  name?: string | null;
  slug?: string | null;
  parentId?: string | null;
  commissionRate?: string | null;
  attributes?: AttributeInput[] | null;
}

/**
 * Tree changes are serialised: a move checks "not under its own descendant" against paths that no
 * concurrent move may change until this transaction ends.
 */
async function lockTree(em: EntityManager): Promise<void> {
  await em.execute("select pg_advisory_xact_lock(hashtext('category-tree'))");
}

const slugTaken = () => new Failure(UserErrorCode.SLUG_TAKEN, 'Another category uses this slug', ['input', 'slug']);

/** A commission rate: a Decimal between 0 and 1 with at most 4 decimals. */
export function checkRate(problems: Problems, rate: string, field: string[]): void {
  if (decimalPlaces(rate) > 4 || Number(rate) < 0 || Number(rate) > 1) {
    problems.add(UserErrorCode.INVALID_INPUT, 'Commission rate must be between 0 and 1 with at most 4 decimals', field);
  }
}

/** Allowed values of an ENUM attribute: at most this many, each as long as a product's attribute value may be. */
const MAX_ALLOWED_VALUES = 100;
const MAX_ALLOWED_VALUE_LENGTH = 200;

function checkAttributes(problems: Problems, attributes: AttributeInput[]): CategoryAttribute[] {
  const seen = new Set<string>();
  return attributes.map((a, i) => {
    const field = ['input', 'attributes', String(i)];
    const name = checkText(problems, a.name, [...field, 'name'], 1, 40, 'Attribute name');
    if (seen.has(name.toLowerCase())) problems.add(UserErrorCode.INVALID_INPUT, `Attribute "${name}" is listed twice`, [...field, 'name']);
    seen.add(name.toLowerCase());
    const values = a.allowedValues ?? [];
    if (values.length > MAX_ALLOWED_VALUES) problems.add(UserErrorCode.INVALID_INPUT, `At most ${MAX_ALLOWED_VALUES} allowed values`, [...field, 'allowedValues']);
    // Blank values are dropped, as before; the others must be proper text.
    const allowedValues = [
      ...new Set(
        values.map((v, j) => (v.trim() ? checkText(problems, v, [...field, 'allowedValues', String(j)], 1, MAX_ALLOWED_VALUE_LENGTH, 'An allowed value') : '')).filter(Boolean),
      ),
    ];
    if (a.type === AttributeType.ENUM && allowedValues.length === 0) {
      problems.add(UserErrorCode.INVALID_INPUT, 'An ENUM attribute needs allowed values', [...field, 'allowedValues']);
    }
    return { name, type: a.type, allowedValues: a.type === AttributeType.ENUM ? allowedValues : [], required: a.required };
  });
}

async function findCategory(em: EntityManager, id: string, field: string[], lock = false): Promise<Category> {
  const category = lock ? await lockById(em, Category, id, 'update') : await em.findOne(Category, { id });
  if (!category) throw new Failure(UserErrorCode.CATEGORY_NOT_FOUND, 'No such category', field);
  return category;
}

/** A free slug: the one asked for (SLUG_TAKEN if used), else one derived from the name. */
async function chooseSlug(em: EntityManager, requested: string | null | undefined, name: string, selfId?: string): Promise<string> {
  if (requested) {
    const taken = await em.findOne(Category, { slug: requested, id: { $ne: selfId ?? '0' } });
    if (taken) throw new Failure(UserErrorCode.SLUG_TAKEN, 'Another category uses this slug', ['input', 'slug']);
    return requested;
  }
  const base = slugify(name) || 'category';
  const used = new Set(
    (await em.getConnection().execute<{ slug: string }[]>("select slug from category where slug = ? or slug like ? || '-%'", [base, base])).map((r) => r.slug),
  );
  let slug = base;
  for (let n = 2; used.has(slug); n++) slug = `${base}-${n}`;
  return slug;
}

function validate(input: CategoryInput, creating: boolean): { problems: Problems; attributes?: CategoryAttribute[] } {
  const problems = new Problems();
  if (creating || input.name != null) checkText(problems, input.name ?? '', ['input', 'name'], 1, 60, 'Name');
  if (input.slug != null && !isValidSlug(input.slug)) {
    problems.add(UserErrorCode.INVALID_INPUT, 'Slug may contain lower-case letters, digits and single dashes', ['input', 'slug']);
  }
  if (input.commissionRate != null) checkRate(problems, input.commissionRate, ['input', 'commissionRate']);
  const attributes = input.attributes ? checkAttributes(problems, input.attributes) : undefined;
  return { problems, attributes };
}

export function createCategory(ctx: Context, input: CategoryInput): Promise<Category> {
  return guardUnique(() => createCategoryTx(ctx, input), slugTaken);
}

async function createCategoryTx(ctx: Context, input: CategoryInput): Promise<Category> {
  const { problems, attributes } = validate(input, true);
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    await lockTree(em);
    const parent = input.parentId ? await findCategory(em, input.parentId, ['input', 'parentId']) : null;
    const name = input.name!.trim();
    const category = em.create(Category, {
      name,
      slug: await chooseSlug(em, input.slug, name),
      parent,
      path: '/',
      depth: parent ? parent.depth + 1 : 0,
      ownCommissionRate: input.commissionRate ?? null,
      attributes: attributes ?? [],
      position: 0,
      createdAt: ctx.now(),
      updatedAt: ctx.now(),
    });
    await em.flush();
    category.path = `${parent?.path ?? '/'}${category.id}/`;
    recordAudit(ctx, em, { action: 'category.create', targetType: 'Category', targetId: category.id, after: { name, slug: category.slug, parent: parent?.id ?? null } });
    await em.flush();
    return category;
  });
}

/**
 * Renames, re-slugs, re-rates or moves a category. A move rewrites the materialized path and depth
 * of the whole subtree in one statement, so descendants stay consistent.
 */
export function updateCategory(ctx: Context, input: CategoryInput & { id: string; makeRoot?: boolean | null }): Promise<Category> {
  return guardUnique(() => updateCategoryTx(ctx, input), slugTaken);
}

async function updateCategoryTx(ctx: Context, input: CategoryInput & { id: string; makeRoot?: boolean | null }): Promise<Category> {
  const { problems, attributes } = validate(input, false);
  problems.throwIfAny();
  return ctx.em.transactional(async (em) => {
    await lockTree(em);
    const category = await findCategory(em, input.id, ['input', 'id'], true);
    const before = { name: category.name, slug: category.slug, parent: category.parent?.id ?? null, path: category.path };
    if (input.name != null) category.name = input.name.trim();
    if (input.slug != null) category.slug = await chooseSlug(em, input.slug, category.name, category.id);
    if (input.commissionRate !== undefined) category.ownCommissionRate = input.commissionRate;
    if (attributes) category.attributes = attributes;

    const moving = input.makeRoot || input.parentId != null;
    if (moving) {
      const parent = input.makeRoot ? null : await findCategory(em, input.parentId!, ['input', 'parentId']);
      if (parent && parent.path.startsWith(category.path)) {
        throw new Failure(UserErrorCode.INVALID_INPUT, 'A category cannot move under itself or its descendants', ['input', 'parentId']);
      }
      const oldPath = category.path;
      const newPath = `${parent?.path ?? '/'}${category.id}/`;
      const depthDelta = (parent ? parent.depth + 1 : 0) - category.depth;
      await em.flush();
      await em.execute(
        `update category set path = ? || substring(path from ?), depth = depth + ?, updated_at = now() where path like ? || '%'`,
        [newPath, oldPath.length + 1, depthDelta, oldPath],
      );
      em.clear();
      const moved = await em.findOneOrFail(Category, { id: category.id });
      moved.parent = parent ? em.getReference(Category, parent.id) : null;
      recordAudit(ctx, em, { action: 'category.update', targetType: 'Category', targetId: moved.id, before, after: { name: moved.name, slug: moved.slug, parent: parent?.id ?? null, path: moved.path } });
      await em.flush();
      // Products still hold the old path: they are found by it and given the new one.
      await refreshProducts(em, { categoryPathPrefix: oldPath });
      return moved;
    }
    recordAudit(ctx, em, { action: 'category.update', targetType: 'Category', targetId: category.id, before, after: { name: category.name, slug: category.slug } });
    await em.flush();
    // Category names are part of the search document of every product in the subtree.
    if (category.name !== before.name) await refreshProducts(em, { categoryPathPrefix: category.path });
    return category;
  });
}

export function rootCategories(ctx: Context): Promise<Category[]> {
  return ctx.em.find(Category, { parent: null }, { orderBy: { position: 'asc', name: 'asc', id: 'asc' } });
}

/** The effective commission rate: the nearest rate set on the category or an ancestor, else the platform default. */
export async function effectiveCommissionRate(ctx: Context, category: Category): Promise<string> {
  if (category.ownCommissionRate != null) return category.ownCommissionRate;
  const ancestorIds = category.path.split('/').filter(Boolean).slice(0, -1).reverse();
  const ancestors = await ctx.loaders.categoryById.loadMany(ancestorIds);
  for (const a of ancestors) if (a && !(a instanceof Error) && a.ownCommissionRate != null) return a.ownCommissionRate;
  return ctx.deps.config.defaultCommissionRate;
}

/** Validates that every key names a category; returns them without repeats. */
export async function resolveCategoryIds(em: EntityManager, ids: readonly string[], field: string[]): Promise<string[]> {
  const keys = [...new Set(ids)];
  const found = await em.count(Category, { id: { $in: keys } });
  if (found !== keys.length) throw new Failure(UserErrorCode.CATEGORY_NOT_FOUND, 'A category does not exist', field);
  return keys;
}
