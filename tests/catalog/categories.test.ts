import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../../src/entities';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type TestApp, createTestApp } from '../helpers/app';
import { userWithToken } from '../helpers/factories';
import { keyOf } from '../helpers/kit';

const CREATE = `mutation($input: CategoryInput!) { createCategory(input: $input) {
  category { id name slug depth ownCommissionRate commissionRate parent { id } attributes { name type allowedValues required } }
  errors { code field } } }`;
const UPDATE = `mutation($input: UpdateCategoryInput!) { updateCategory(input: $input) { category { id name slug depth parent { id } } errors { code field } } }`;

let t: TestApp;
let ops: { token: string };
beforeAll(async () => {
  t = await createTestApp({ DEFAULT_COMMISSION_RATE: '0.05' });
  ops = await userWithToken(t, { roles: [StaffRole.OPERATIONS] });
});
afterAll(() => t.close());

async function create(input: Record<string, unknown>, token = ops.token) {
  const res = await t.gql(CREATE, { input }, { token });
  expect(res.data!.createCategory.errors).toEqual([]);
  return res.data!.createCategory.category;
}

async function pathOf(id: string): Promise<{ path: string; depth: number }> {
  const key = keyOf(id);
  const [row] = await t.orm.em.fork().getConnection().execute<{ path: string; depth: number }[]>('select path, depth from category where id = ?', [key]);
  return row;
}

describe('creating categories', () => {
  it('derives a unique slug from the name, and a fallback for names without ASCII', async () => {
    const a = await create({ name: 'Home & Kitchen' });
    const b = await create({ name: 'Home & Kitchen!' });
    expect(a.slug).toBe('home-kitchen');
    expect(b.slug).toBe('home-kitchen-2');
    const zh = await create({ name: '數碼家電' });
    expect(zh.slug).toMatch(/^category(-\d+)?$/);
  });

  it('builds a tree of any depth with inherited commission rates', async () => {
    const root = await create({ name: 'Electronics', commissionRate: '0.08' });
    const audio = await create({ name: 'Audio', parentId: root.id });
    const earphones = await create({ name: '耳機', parentId: audio.id, commissionRate: 0.1 });
    const wireless = await create({ name: 'Wireless', parentId: earphones.id });
    expect([root.depth, audio.depth, earphones.depth, wireless.depth]).toEqual([0, 1, 2, 3]);
    expect(audio).toMatchObject({ ownCommissionRate: null, commissionRate: '0.0800', parent: { id: root.id } });
    expect(wireless.commissionRate).toBe('0.1000');
    const orphan = await create({ name: 'Books' });
    expect(orphan.commissionRate).toBe('0.05');
  });

  it('keeps attribute templates, with ENUM values', async () => {
    const c = await create({
      name: 'Phones',
      attributes: [
        { name: 'Colour', type: 'ENUM', allowedValues: ['Black', 'White', 'Black'], required: true },
        { name: 'Weight', type: 'NUMBER', required: false },
      ],
    });
    expect(c.attributes).toEqual([
      { name: 'Colour', type: 'ENUM', allowedValues: ['Black', 'White'], required: true },
      { name: 'Weight', type: 'NUMBER', allowedValues: [], required: false },
    ]);
  });

  it.each([
    [{ name: '' }, 'name', 'INVALID_INPUT'],
    [{ name: 'Bad slug', slug: 'Not A Slug' }, 'slug', 'INVALID_INPUT'],
    [{ name: 'Rate', commissionRate: '1.2' }, 'commissionRate', 'INVALID_INPUT'],
    [{ name: 'Rate', commissionRate: '0.12345' }, 'commissionRate', 'INVALID_INPUT'],
    [{ name: 'Enum', attributes: [{ name: 'Size', type: 'ENUM', required: true }] }, 'allowedValues', 'INVALID_INPUT'],
    [{ name: 'Orphan', parentId: toGlobalId('Category', '987654') }, 'parentId', 'CATEGORY_NOT_FOUND'],
  ])('refuses %o (%s: %s)', async (input, field, code) => {
    const res = await t.gql(CREATE, { input }, { token: ops.token });
    const error = res.data!.createCategory.errors[0];
    expect(error.code).toBe(code);
    expect(error.field.at(-1)).toBe(field);
  });

  it('refuses a taken slug with SLUG_TAKEN', async () => {
    await create({ name: 'Toys', slug: 'toys' });
    const res = await t.gql(CREATE, { input: { name: 'More toys', slug: 'toys' } }, { token: ops.token });
    expect(res.data!.createCategory.errors).toEqual([{ code: 'SLUG_TAKEN', field: ['input', 'slug'] }]);
  });

  it.each([
    ['a shopper', []],
    ['a REVIEWER', [StaffRole.REVIEWER]],
    ['RISK staff', [StaffRole.RISK]],
  ])('is FORBIDDEN to %s', async (_who, roles) => {
    const caller = await userWithToken(t, { roles });
    const res = await t.gql(CREATE, { input: { name: 'Nope' } }, { token: caller.token });
    expect(res.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect((await t.gql(UPDATE, { input: { id: toGlobalId('Category', '1'), name: 'x' } }, { token: caller.token })).errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  it('is UNAUTHENTICATED anonymously and allowed to ADMIN', async () => {
    expect((await t.gql(CREATE, { input: { name: 'Nope' } })).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    const admin = await userWithToken(t, { roles: [StaffRole.ADMIN] });
    expect((await create({ name: 'By admin' }, admin.token)).name).toBe('By admin');
  });
});

describe('moving and renaming', () => {
  it('moves a subtree in one statement, keeping every descendant path and depth consistent', async () => {
    const a = await create({ name: 'A' });
    const b = await create({ name: 'B', parentId: a.id });
    const c = await create({ name: 'C', parentId: b.id });
    const d = await create({ name: 'D', parentId: c.id });
    const x = await create({ name: 'X' });
    const moved = await t.gql(UPDATE, { input: { id: b.id, parentId: x.id } }, { token: ops.token });
    expect(moved.data!.updateCategory.category).toMatchObject({ depth: 1, parent: { id: x.id } });
    expect(await pathOf(d.id)).toEqual({ path: `/${keyOf(x.id)}/${keyOf(b.id)}/${keyOf(c.id)}/${keyOf(d.id)}/`, depth: 3 });
    expect((await pathOf(c.id)).depth).toBe(2);

    const root = await t.gql(UPDATE, { input: { id: c.id, makeRoot: true, name: 'C renamed' } }, { token: ops.token });
    expect(root.data!.updateCategory.category).toMatchObject({ name: 'C renamed', depth: 0, parent: null });
    expect(await pathOf(d.id)).toEqual({ path: `/${keyOf(c.id)}/${keyOf(d.id)}/`, depth: 1 });
  });

  it('refuses moving a category under itself or its descendants', async () => {
    const a = await create({ name: 'Loop A' });
    const b = await create({ name: 'Loop B', parentId: a.id });
    for (const parentId of [a.id, b.id]) {
      const res = await t.gql(UPDATE, { input: { id: a.id, parentId } }, { token: ops.token });
      expect(res.data!.updateCategory.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'parentId'] }]);
    }
  });

  it('writes audit entries for staff changes', async () => {
    const a = await create({ name: 'Audited' });
    await t.gql(UPDATE, { input: { id: a.id, name: 'Audited again' } }, { token: ops.token });
    const key = keyOf(a.id);
    const rows = await t.orm.em.fork().getConnection().execute<{ action: string; before: any; after: any }[]>("select action, before, after from audit_entry where target_type = 'Category' and target_id = ? order by id", [key]);
    expect(rows.map((r: { action: string }) => r.action)).toEqual(['category.create', 'category.update']);
    expect(rows[1].before.name).toBe('Audited');
    expect(rows[1].after.name).toBe('Audited again');
  });
});

describe('browsing', () => {
  it('serves the whole tree to anyone, one query per level', async () => {
    const query = `{ categories { name children { name children { name children { name } } } } }`;
    const { result, queries } = await t.countQueries(query);
    expect(result.errors).toBeUndefined();
    const electronics = result.data!.categories.find((c: { name: string }) => c.name === 'Electronics');
    expect(electronics.children[0].name).toBe('Audio');
    expect(electronics.children[0].children[0].name).toBe('耳機');
    expect(queries).toBeLessThanOrEqual(4);
  });

  it('finds a category by slug or ID', async () => {
    const res = await t.gql(`{ category(slug: "toys") { id name } }`);
    expect(res.data!.category.name).toBe('Toys');
    const again = await t.gql(`query($id: ID!) { category(id: $id) { slug } node(id: $id) { id } }`, { id: res.data!.category.id });
    expect(again.data).toEqual({ category: { slug: 'toys' }, node: { id: res.data!.category.id } });
  });
});
