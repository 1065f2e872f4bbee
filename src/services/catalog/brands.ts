import { type EntityManager, raw } from '@mikro-orm/postgresql';
import type { Context } from '../../context';
import { Brand } from '../../entities';
import { BadInputError, Failure, NotFoundError, Problems, UserErrorCode } from '../../errors';
import { keysetClause, type Page, page, type PageArgs, pageWindow } from '../../db/keyset';
import { recordAudit } from '../platform';
import { refreshProducts } from './catalogIndex';
import { checkText, guardUnique, isHttpUrl, isValidSlug, slugify } from '../shared';

export interface BrandInput {
  name?: string | null;
  slug?: string | null;
  logoUrl?: string | null;
}

const taken = (message: string) =>
  message.includes('brand_name_unique')
    ? new Failure(UserErrorCode.BRAND_NAME_TAKEN, 'Another brand has this name', ['input', 'name'])
    : message.includes('brand_slug_unique')
      ? new Failure(UserErrorCode.SLUG_TAKEN, 'Another brand uses this slug', ['input', 'slug'])
      : undefined;

function validate(input: BrandInput, creating: boolean): { problems: Problems; name?: string } {
  const problems = new Problems();
  const name = creating || input.name != null ? checkText(problems, input.name ?? '', ['input', 'name'], 1, 60, 'Name') : undefined;
  if (input.slug != null && !isValidSlug(input.slug)) problems.add(UserErrorCode.INVALID_INPUT, 'Slug may contain lower-case letters, digits and single dashes', ['input', 'slug']);
  if (input.logoUrl != null && !isHttpUrl(input.logoUrl)) problems.add(UserErrorCode.INVALID_INPUT, 'Logo must be an http or https URL', ['input', 'logoUrl']);
  return { problems, name };
}

/**
 * Brand writes are serialised, so the name and slug checks below see every committed brand: two
 * requests at once would otherwise both pass them, and the loser would get SLUG_TAKEN for a slug it
 * never asked for. Staff create brands rarely; one lock costs nothing.
 */
async function lockBrands(em: EntityManager): Promise<void> {
  await em.execute("select pg_advisory_xact_lock(hashtext('brand-names'))");
}

/** The name must be free (case-insensitive); the slug is the one asked for or one derived from the name. */
async function checkFree(em: EntityManager, name: string | undefined, slug: string | null | undefined, selfId = '0'): Promise<void> {
  if (name !== undefined) {
    const [row] = await em.execute('select 1 from brand where lower(name) = lower(?) and id <> ?', [name, selfId]);
    if (row) throw taken('brand_name_unique')!;
  }
  if (slug) {
    const [row] = await em.execute('select 1 from brand where slug = ? and id <> ?', [slug, selfId]);
    if (row) throw taken('brand_slug_unique')!;
  }
}

async function freeSlug(em: EntityManager, name: string): Promise<string> {
  const base = slugify(name) || 'brand';
  const used = new Set((await em.execute<{ slug: string }[]>("select slug from brand where slug = ? or slug like ? || '-%'", [base, base])).map((r) => r.slug));
  let slug = base;
  for (let n = 2; used.has(slug); n++) slug = `${base}-${n}`;
  return slug;
}

export function createBrand(ctx: Context, input: BrandInput): Promise<Brand> {
  const { problems, name } = validate(input, true);
  problems.throwIfAny();
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        await lockBrands(em);
        await checkFree(em, name, input.slug);
        const brand = new Brand(name!, input.slug ?? (await freeSlug(em, name!)));
        brand.logoUrl = input.logoUrl ?? null;
        em.persist(brand);
        await em.flush();
        recordAudit(ctx, em, { action: 'brand.create', targetType: 'Brand', targetId: brand.id, after: { name: brand.name, slug: brand.slug } });
        await em.flush();
        return brand;
      }),
    taken,
  );
}

/** Renames or re-slugs a brand; a rename re-indexes its products for search. */
export function updateBrand(ctx: Context, input: BrandInput & { id: string }): Promise<Brand> {
  const { problems, name } = validate(input, false);
  problems.throwIfAny();
  return guardUnique(
    () =>
      ctx.em.transactional(async (em) => {
        await lockBrands(em);
        const brand = await em.findOne(Brand, { id: input.id });
        if (!brand) throw new NotFoundError('No such brand');
        await checkFree(em, name, input.slug, brand.id);
        const before = { name: brand.name, slug: brand.slug };
        if (name !== undefined) brand.name = name;
        if (input.slug != null) brand.slug = input.slug;
        if (input.logoUrl !== undefined) brand.logoUrl = input.logoUrl;
        recordAudit(ctx, em, { action: 'brand.update', targetType: 'Brand', targetId: brand.id, before, after: { name: brand.name, slug: brand.slug } });
        await em.flush();
        if (brand.name !== before.name) await refreshProducts(em, { brandId: brand.id });
        return brand;
      }),
    taken,
  );
}

/** Brands by name (case-insensitive prefix search), alphabetical in byte order; indexed. */
export async function listBrands(ctx: Context, args: PageArgs & { search?: string | null }): Promise<Page<Brand>> {
  const window = pageWindow(args, ['text', 'id']);
  const search = args.search?.trim().toLowerCase() ?? '';
  if (search.length > 60) throw new BadInputError('`search` has at most 60 characters', 'search');
  const base = () => {
    const qb = ctx.em.createQueryBuilder(Brand, 'b');
    if (search) qb.andWhere(`lower(b.name) collate "C" like ? escape '\\'`, [`${search.replace(/[\\%_]/g, '\\$&')}%`]);
    return qb;
  };
  const keys = [
    { column: 'lower(b.name) collate "C"', direction: 'asc' as const },
    { column: 'b.id', direction: 'asc' as const },
  ];
  const { where, orderBy } = keysetClause(keys, window);
  const qb = base().select('*');
  if (where) qb.andWhere(where.sql, where.params);
  // The sort key is an expression: given as a plain key, the query builder would quote it as a column name.
  qb.orderBy(Object.entries(orderBy).map(([column, direction]) => ({ [raw(column)]: direction })));
  const rows = await qb.limit(window.limit).getResultList();
  return page(rows, window, (b) => [b.name.toLowerCase(), b.id], () => base().getCount());
}
