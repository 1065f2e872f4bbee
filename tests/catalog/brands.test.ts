import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole, type User } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { code, failuresOf, keyOf, okPayload, payloadOf } from '../helpers/kit';
import { type GqlResult, type TestApp, createTestApp } from '../helpers/app';
import { listedProduct, productInput, seller, staff } from '../helpers/catalog';
import { createCategory, userWithToken } from '../helpers/factories';

const CREATE = `mutation($input: BrandInput!) { createBrand(input: $input) { brand { id name slug logoUrl } errors { code field message } } }`;
const UPDATE = `mutation($input: UpdateBrandInput!) { updateBrand(input: $input) { brand { id name slug logoUrl } errors { code field message } } }`;
const BRANDS = `query($search: String, $first: Int, $after: String) { brands(search: $search, first: $first, after: $after) {
  totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`;
const SEARCH = `query($search: String!) { products(filter: { search: $search }, first: 100) { nodes { id brand { name } } } }`;

type Account = { user: User; token: string };

let t: TestApp;
let ops: Account;
let admin: Account;

beforeAll(async () => {
  t = await createTestApp();
  [ops, admin] = await Promise.all([staff(t, StaffRole.OPERATIONS), staff(t, StaffRole.ADMIN)]);
  await brand('Ugreen');
});
afterAll(() => t.close());

const hex = () => randomBytes(4).toString('hex');

const ok = (res: GqlResult, name: string) => okPayload(res, name, 'brand');

const failures = (res: GqlResult, name: string) => failuresOf(res, name, 'brand');

const create = (input: Record<string, unknown>, token = ops.token) => t.gql(CREATE, { input }, { token });
const update = (input: Record<string, unknown>, token = ops.token) => t.gql(UPDATE, { input }, { token });
const brand = async (name: string, extra: Record<string, unknown> = {}) => ok(await create({ name, ...extra }), 'createBrand');

/** Every brand row: what "nothing changed" compares. */
const allBrands = () => t.sql('select id, name, slug, logo_url, updated_at from brand order by id');
const auditCount = async () => (await t.sql("select count(*)::int as count from audit_entry where target_type = 'Brand'"))[0].count as number;

describe('creating brands', () => {
  it('creates a brand with a slug derived from the name, and a free variant of it when that slug is used', async () => {
    const first = await brand('Anker Innovations', { logoUrl: 'https://img.example.com/anker.png' });
    expect(first).toMatchObject({ name: 'Anker Innovations', slug: 'anker-innovations', logoUrl: 'https://img.example.com/anker.png' });
    const second = await brand('Anker-Innovations!');
    expect(second.slug).toBe('anker-innovations-2');
    const chinese = await brand('小米');
    expect(chinese.slug).toMatch(/^brand(-\d+)?$/);
    const [row] = await t.sql('select name, slug from brand where id = ?', [keyOf(first.id)]);
    expect(row).toEqual({ name: 'Anker Innovations', slug: 'anker-innovations' });
  });

  it('trims the name and keeps a slug that was asked for', async () => {
    expect(await brand('  Baseus  ', { slug: 'baseus-official' })).toMatchObject({ name: 'Baseus', slug: 'baseus-official' });
  });

  it.each(['ugreen', 'UGREEN', 'Ugreen', '  uGreen '])('refuses the name %j when "Ugreen" exists, with BRAND_NAME_TAKEN, creating nothing', async (name) => {
    const before = await allBrands();
    expect(failures(await create({ name }), 'createBrand')).toEqual([['BRAND_NAME_TAKEN', 'input.name']]);
    expect(await allBrands()).toEqual(before);
  });

  it('refuses a slug another brand uses with SLUG_TAKEN, creating nothing', async () => {
    await brand('Edifier', { slug: 'edifier' });
    const before = await allBrands();
    expect(failures(await create({ name: 'Edifier Audio', slug: 'edifier' }), 'createBrand')).toEqual([['SLUG_TAKEN', 'input.slug']]);
    expect(await allBrands()).toEqual(before);
  });

  it.each([
    ['an empty name', { name: '' }, 'input.name'],
    ['a name of spaces', { name: '    ' }, 'input.name'],
    ['a name of 61 characters', { name: '牌'.repeat(61) }, 'input.name'],
    ['a logo URL that is not http or https', { name: 'Logo Test A', logoUrl: 'javascript:alert(1)' }, 'input.logoUrl'],
    ['a logo URL that is not a URL', { name: 'Logo Test B', logoUrl: 'logo.png' }, 'input.logoUrl'],
    ['a malformed slug', { name: 'Slug Test', slug: 'Not A Slug' }, 'input.slug'],
  ])('refuses %s with INVALID_INPUT on the field, creating nothing', async (_what, input, field) => {
    const before = await allBrands();
    const audits = await auditCount();
    expect(failures(await create(input), 'createBrand')).toEqual([['INVALID_INPUT', field]]);
    expect(await allBrands()).toEqual(before);
    expect(await auditCount()).toBe(audits);
  });

  it('writes an audit entry for a created brand, naming the staff member', async () => {
    const created = await brand(`Audited ${hex()}`);
    const rows = await t.sql("select action, actor_id, after from audit_entry where target_type = 'Brand' and target_id = ? order by id", [keyOf(created.id)]);
    expect(rows).toEqual([{ action: 'brand.create', actor_id: ops.user.id, after: { name: created.name, slug: created.slug } }]);
  });
});

describe('updating brands', () => {
  it('renames, re-slugs and changes the logo, and writes an audit entry with before and after', async () => {
    const b = await brand('Soundcore Old');
    const renamed = ok(await update({ id: b.id, name: 'Soundcore', slug: 'soundcore', logoUrl: 'https://img.example.com/soundcore.png' }, admin.token), 'updateBrand');
    expect(renamed).toEqual({ id: b.id, name: 'Soundcore', slug: 'soundcore', logoUrl: 'https://img.example.com/soundcore.png' });
    const rows = await t.sql("select action, actor_id, before, after from audit_entry where target_type = 'Brand' and target_id = ? order by id", [keyOf(b.id)]);
    expect(rows.at(-1)).toEqual({
      action: 'brand.update',
      actor_id: admin.user.id,
      before: { name: 'Soundcore Old', slug: 'soundcore-old' },
      after: { name: 'Soundcore', slug: 'soundcore' },
    });
  });

  it('lets a brand change the letter case of its own name', async () => {
    const b = await brand('Jbl Audio');
    expect(ok(await update({ id: b.id, name: 'JBL AUDIO' }), 'updateBrand')).toMatchObject({ name: 'JBL AUDIO', slug: b.slug });
  });

  it("refuses another brand's name (any case) with BRAND_NAME_TAKEN and its slug with SLUG_TAKEN, changing nothing", async () => {
    const a = await brand('Philips Audio', { slug: 'philips-audio' });
    const b = await brand('Sennheiser');
    const before = await allBrands();
    const audits = await auditCount();
    expect(failures(await update({ id: b.id, name: 'PHILIPS audio' }), 'updateBrand')).toEqual([['BRAND_NAME_TAKEN', 'input.name']]);
    expect(failures(await update({ id: b.id, slug: 'philips-audio' }), 'updateBrand')).toEqual([['SLUG_TAKEN', 'input.slug']]);
    expect(failures(await update({ id: b.id, name: '' }), 'updateBrand')).toEqual([['INVALID_INPUT', 'input.name']]);
    expect(failures(await update({ id: b.id, logoUrl: 'ftp://img.example.com/x.png' }), 'updateBrand')).toEqual([['INVALID_INPUT', 'input.logoUrl']]);
    expect(await allBrands()).toEqual(before);
    expect(await auditCount()).toBe(audits);
    expect(a.slug).toBe('philips-audio');
  });

  it('answers NOT_FOUND for an unknown brand', async () => {
    const res = await update({ id: toGlobalId('Brand', '987654321'), name: 'Ghost' });
    expect(code(res)).toBe('NOT_FOUND');
  });

  it('makes products findable by the new name after a rename, and no longer by the old one', async () => {
    const reviewer = await staff(t, StaffRole.REVIEWER);
    const shop = await seller(t);
    const categoryId = toGlobalId('Category', (await createCategory(t, 'Speakers')).id);
    const b = await brand('Zephyrion');
    const id = await listedProduct(t, shop, reviewer.token, productInput(shop.shopId, categoryId, { title: 'Portable Bluetooth Speaker', brandId: b.id }));
    const found = async (search: string) => {
      const res = await t.gql(SEARCH, { search });
      expect(res.errors).toBeUndefined();
      return res.data!.products.nodes.map((n: { id: string }) => n.id);
    };
    expect(await found('Zephyrion')).toEqual([id]);
    expect(await found('Quasarwave')).toEqual([]);
    ok(await update({ id: b.id, name: 'Quasarwave' }), 'updateBrand');
    expect(await found('Quasarwave')).toEqual([id]);
    expect(await found('Zephyrion')).toEqual([]);
    const res = await t.gql(`query($id: ID!) { product(id: $id) { brand { name } } }`, { id });
    expect(res.data!.product.brand.name).toBe('Quasarwave');
  });
});

describe('brands search', () => {
  const prefix = `Qz${hex()}`;
  const names = [`${prefix}echo`, `${prefix}Beta`, `${prefix}alpha`, `${prefix}Delta`, `${prefix}charlie`, `${prefix}_under`];
  beforeAll(async () => {
    for (const name of names) await brand(name);
    await brand(`Not ${prefix}alpha`);
  });

  async function page(search: string | null, first: number, after: string | null = null) {
    const res = await t.gql(BRANDS, { search, first, after });
    expect(res.errors).toBeUndefined();
    return res.data!.brands;
  }

  async function all(search: string, first = 2): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 50; i++) {
      const conn: any = await page(search, first, after);
      seen.push(...conn.edges.map((e: any) => e.node.name));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    return seen;
  }

  const alphabetical = [`${prefix}_under`, `${prefix}alpha`, `${prefix}Beta`, `${prefix}charlie`, `${prefix}Delta`, `${prefix}echo`];

  it('finds brands by name prefix in any letter case, in alphabetical order regardless of case', async () => {
    for (const search of [prefix, prefix.toLowerCase(), prefix.toUpperCase()]) {
      const conn = await page(search, 100);
      expect(conn.totalCount).toBe(6);
      expect(conn.edges.map((e: any) => e.node.name)).toEqual(alphabetical);
    }
    expect((await page(`${prefix}b`, 100)).edges.map((e: any) => e.node.name)).toEqual([`${prefix}Beta`]);
    expect((await page(`${prefix.toUpperCase()}D`, 100)).edges.map((e: any) => e.node.name)).toEqual([`${prefix}Delta`]);
  });

  it('matches only at the start of the name', async () => {
    expect((await page('alpha', 100)).edges.map((e: any) => e.node.name)).not.toContain(`${prefix}alpha`);
  });

  it('treats LIKE wildcards in the search as plain characters', async () => {
    expect((await page(`${prefix}_`, 100)).edges.map((e: any) => e.node.name)).toEqual([`${prefix}_under`]);
    expect((await page(`${prefix}%`, 100)).totalCount).toBe(0);
  });

  it('pages through the matches with keyset cursors, each brand once, in order', async () => {
    for (const size of [1, 2, 4]) expect(await all(prefix, size)).toEqual(alphabetical);
  });

  it('keeps the next page stable when a brand is added before the cursor', async () => {
    const own = `Qy${hex()}`;
    for (const name of ['b', 'c', 'd', 'e']) await brand(`${own}${name}`);
    const firstPage = await page(own, 2);
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    await brand(`${own}a`);
    const next = await page(own, 2, firstPage.pageInfo.endCursor);
    expect(next.edges.map((e: any) => e.node.name)).toEqual([`${own}d`, `${own}e`]);
  });

  it('pages backwards with last/before in the same order', async () => {
    const BACK = `query($search: String, $last: Int, $before: String) { brands(search: $search, last: $last, before: $before) {
      edges { node { name } } pageInfo { hasPreviousPage startCursor } } }`;
    const seen: string[][] = [];
    let before: string | null = null;
    for (let i = 0; i < 10; i++) {
      const res: GqlResult = await t.gql(BACK, { search: `${prefix}C`, last: 1, before });
      expect(res.errors).toBeUndefined();
      seen.unshift(res.data!.brands.edges.map((e: any) => e.node.name));
      if (!res.data!.brands.pageInfo.hasPreviousPage) break;
      before = res.data!.brands.pageInfo.startCursor;
    }
    expect(seen).toEqual([[`${prefix}charlie`]]);
    const tail = await t.gql(BACK, { search: prefix, last: 2 });
    expect(tail.data!.brands.edges.map((e: any) => e.node.name)).toEqual([`${prefix}Delta`, `${prefix}echo`]);
    const earlier = await t.gql(BACK, { search: prefix, last: 2, before: (await page(prefix, 100)).edges.at(-2).cursor });
    expect(earlier.data!.brands.edges.map((e: any) => e.node.name)).toEqual([`${prefix}Beta`, `${prefix}charlie`]);
  });

  it('lists every brand without a search, alphabetically', async () => {
    const names = await all('', 50);
    const lower = names.map((n) => n.toLowerCase());
    expect(lower).toEqual([...lower].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : a === b ? 0 : 1)));
    expect(names.length).toBe((await t.sql('select count(*)::int as count from brand'))[0].count);
  });

  it('refuses a search longer than 60 characters with BAD_USER_INPUT', async () => {
    const res = await t.gql(BRANDS, { search: 'x'.repeat(61) });
    expect(code(res)).toBe('BAD_USER_INPUT');
  });
});

describe('who may manage brands', () => {
  it.each([
    ['REVIEWER staff', 'FORBIDDEN', () => staff(t, StaffRole.REVIEWER)],
    ['RISK staff', 'FORBIDDEN', () => staff(t, StaffRole.RISK)],
    ['CUSTOMER_SERVICE staff', 'FORBIDDEN', () => staff(t, StaffRole.CUSTOMER_SERVICE)],
    ['a shopper', 'FORBIDDEN', () => userWithToken(t)],
    ['an anonymous caller', 'UNAUTHENTICATED', async () => ({ token: undefined })],
  ])('refuses createBrand and updateBrand to %s with a thrown %s, changing nothing', async (_who, expected, who) => {
    const target = await brand(`Guarded ${hex()}`);
    const { token } = await who();
    const before = await allBrands();
    const audits = await auditCount();
    for (const [query, input] of [
      [CREATE, { name: `Intruder ${hex()}` }],
      [UPDATE, { id: target.id, name: `Renamed ${hex()}` }],
    ] as const) {
      const res = await t.gql(query, { input }, { token });
      expect(code(res)).toBe(expected);
      expect(res.data).toBeNull();
    }
    expect(await allBrands()).toEqual(before);
    expect(await auditCount()).toBe(audits);
  });

  it.each([
    ['OPERATIONS', () => ops],
    ['ADMIN', () => admin],
  ])('lets %s create and update brands', async (_role, who) => {
    const created = ok(await create({ name: `Allowed ${hex()}` }, who().token), 'createBrand');
    expect(ok(await update({ id: created.id, logoUrl: 'https://img.example.com/allowed.png' }, who().token), 'updateBrand').logoUrl).toBe('https://img.example.com/allowed.png');
  });
});

describe('concurrency', () => {
  it('lets exactly one of two concurrent creates of the same name (in any case) succeed; the other gets BRAND_NAME_TAKEN', async () => {
    for (let round = 0; round < 5; round++) {
      const name = `Racer ${hex()}`;
      const results = await Promise.all([name, name.toUpperCase()].map((n) => create({ name: n })));
      const payloads = results.map((r) => payloadOf(r, 'createBrand'));
      expect(payloads.filter((p) => p.errors.length === 0)).toHaveLength(1);
      expect(payloads.flatMap((p) => p.errors.map((e: { code: string; field: string[] }) => [e.code, e.field.join('.')]))).toEqual([['BRAND_NAME_TAKEN', 'input.name']]);
      const [{ count }] = await t.sql('select count(*)::int as count from brand where lower(name) = lower(?)', [name]);
      expect(count).toBe(1);
    }
  });

  it('gives two brands created at once whose names derive the same slug two different slugs', async () => {
    for (let round = 0; round < 5; round++) {
      const base = `twin-${hex()}`;
      const results = await Promise.all([`Twin ${base.slice(5)}`, `TWIN-${base.slice(5)}!`].map((name) => create({ name })));
      const slugs = results.map((r) => ok(r, 'createBrand').slug).sort();
      expect(slugs).toEqual([base, `${base}-2`]);
    }
  });

  it('lets exactly one of two concurrent renames to the same name succeed', async () => {
    const [a, b] = [await brand(`Rename A ${hex()}`), await brand(`Rename B ${hex()}`)];
    const name = `Renamed ${hex()}`;
    const results = await Promise.all([a, b].map((x) => update({ id: x.id, name })));
    const payloads = results.map((r) => payloadOf(r, 'updateBrand'));
    expect(payloads.filter((p) => p.errors.length === 0)).toHaveLength(1);
    expect(payloads.flatMap((p) => p.errors.map((e: { code: string }) => e.code))).toEqual(['BRAND_NAME_TAKEN']);
  });
});
