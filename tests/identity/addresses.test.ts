import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/schema/shared/globalId';
import { type TestApp, createTestApp } from '../helpers/app';
import { userWithToken } from '../helpers/factories';

const FIELDS = 'id recipientName phone province city district line1 postalCode isDefault';
const CREATE = `mutation($input: AddressInput!) { createAddress(input: $input) { address { ${FIELDS} } errors { code field } } }`;
const UPDATE = `mutation($input: UpdateAddressInput!) { updateAddress(input: $input) { address { ${FIELDS} } errors { code field } } }`;
const DELETE = `mutation($input: IdInput!) { deleteAddress(input: $input) { deletedAddressId errors { code field } } }`;
const MINE = `{ myAddresses { id isDefault line1 } }`;

type Account = { user: { id: string }; token: string };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

function addressInput(overrides: Record<string, unknown> = {}) {
  return { recipientName: '李偉', phone: '13812345678', province: '浙江省', city: '杭州市', district: '西湖區', line1: '文三路 90 號', ...overrides };
}

async function create(who: Account, overrides: Record<string, unknown> = {}): Promise<{ id: string; isDefault: boolean }> {
  const res = await t.gql(CREATE, { input: addressInput(overrides) }, { token: who.token });
  const out = res.data?.createAddress;
  if (!out?.address) throw new Error(`createAddress failed: ${JSON.stringify(res.errors ?? out?.errors)}`);
  return out.address;
}

/** The user's address rows, oldest first: what the database holds, whatever the API says. */
async function rows(who: Account): Promise<{ id: string; is_default: boolean; line1: string; phone: string; postal_code: string | null }[]> {
  const list = await t.sql('select id, is_default, line1, phone, postal_code from address where user_id = ? order by id', [who.user.id]);
  return list.map((r) => ({ ...r, id: toGlobalId('Address', r.id) }));
}

describe('createAddress', () => {
  it('makes the first address the default, trimmed, with the phone normalised', async () => {
    const me = await userWithToken(t);
    const res = await t.gql(CREATE, { input: addressInput({ recipientName: '  李偉 ', phone: '138-1234 5678', line1: ' 文三路 90 號 ', postalCode: '310012', isDefault: false }) }, { token: me.token });
    expect(res.data!.createAddress.errors).toEqual([]);
    expect(res.data!.createAddress.address).toMatchObject({
      recipientName: '李偉',
      phone: '13812345678',
      province: '浙江省',
      line1: '文三路 90 號',
      postalCode: '310012',
      isDefault: true,
    });
    expect(await rows(me)).toHaveLength(1);
  });

  it('keeps the default where it is unless the new address asks for it, and then moves it', async () => {
    const me = await userWithToken(t);
    const first = await create(me);
    const second = await create(me, { line1: 'Second' });
    expect(second.isDefault).toBe(false);
    const third = await create(me, { line1: 'Third', isDefault: true });
    expect(third.isDefault).toBe(true);
    expect((await rows(me)).map((r) => [r.id, r.is_default])).toEqual([
      [first.id, false],
      [second.id, false],
      [third.id, true],
    ]);
  });

  it('lists the default first, then the newest', async () => {
    const me = await userWithToken(t);
    const a = await create(me, { line1: 'A' });
    const b = await create(me, { line1: 'B' });
    const c = await create(me, { line1: 'C' });
    await t.gql(UPDATE, { input: { id: b.id, isDefault: true } }, { token: me.token });
    const res = await t.gql(MINE, {}, { token: me.token });
    expect(res.data!.myAddresses.map((x: { id: string }) => x.id)).toEqual([b.id, c.id, a.id]);
  });

  it.each([
    ['a phone that is neither a mainland mobile nor E.164', { phone: '12345' }, 'phone'],
    ['a blank province', { province: '   ' }, 'province'],
    ['a blank city', { city: '' }, 'city'],
    ['a blank district', { district: ' ' }, 'district'],
    ['a blank street address', { line1: '' }, 'line1'],
    ['a street address over 200 characters', { line1: '路'.repeat(201) }, 'line1'],
    ['a province over 40 characters', { province: '省'.repeat(41) }, 'province'],
    ['a postal code that is not 6 digits', { postalCode: '31001' }, 'postalCode'],
    ['a blank recipient', { recipientName: ' ' }, 'recipientName'],
  ])('refuses %s with INVALID_INPUT and stores nothing', async (_what, overrides, field) => {
    const me = await userWithToken(t);
    const res = await t.gql(CREATE, { input: addressInput(overrides) }, { token: me.token });
    expect(res.data!.createAddress).toEqual({ address: null, errors: [{ code: 'INVALID_INPUT', field: ['input', field] }] });
    expect(await rows(me)).toEqual([]);
  });

  it('refuses a 51st address with INVALID_INPUT', async () => {
    const me = await userWithToken(t);
    await t.sql(
      `insert into address (user_id, recipient_name, phone, province, city, district, line1, is_default)
       select ?, 'R', '13812345678', '浙江省', '杭州市', '西湖區', 'L' || n, n = 1 from generate_series(1, 50) n`,
      [me.user.id],
    );
    const res = await t.gql(CREATE, { input: addressInput() }, { token: me.token });
    expect(res.data!.createAddress.errors.map((e: { code: string }) => e.code)).toEqual(['INVALID_INPUT']);
    expect(await rows(me)).toHaveLength(50);
  });

  it('keeps exactly one default when several addresses claim it at the same moment', async () => {
    const me = await userWithToken(t);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => t.gql(CREATE, { input: addressInput({ line1: `Race ${i}`, isDefault: true }) }, { token: me.token })));
    expect(results.map((r) => r.data!.createAddress.errors)).toEqual(Array(6).fill([]));
    const stored = await rows(me);
    expect(stored).toHaveLength(6);
    expect(stored.filter((r) => r.is_default)).toHaveLength(1);
  });

  it('is UNAUTHENTICATED without a token, for the list too', async () => {
    expect((await t.gql(CREATE, { input: addressInput() })).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    expect((await t.gql(MINE)).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });
});

describe('updateAddress', () => {
  it('changes the fields given and leaves the rest', async () => {
    const me = await userWithToken(t);
    const a = await create(me, { postalCode: '310012' });
    const res = await t.gql(UPDATE, { input: { id: a.id, line1: ' 新地址 1 號 ', phone: '+8613900001111' } }, { token: me.token });
    expect(res.data!.updateAddress.errors).toEqual([]);
    expect(res.data!.updateAddress.address).toMatchObject({ id: a.id, line1: '新地址 1 號', phone: '+8613900001111', province: '浙江省', postalCode: '310012', isDefault: true });
    const cleared = await t.gql(UPDATE, { input: { id: a.id, postalCode: null } }, { token: me.token });
    expect(cleared.data!.updateAddress.address.postalCode).toBeNull();
  });

  it('moves the default to the address given isDefault: true', async () => {
    const me = await userWithToken(t);
    const a = await create(me);
    const b = await create(me);
    const res = await t.gql(UPDATE, { input: { id: b.id, isDefault: true } }, { token: me.token });
    expect(res.data!.updateAddress.address.isDefault).toBe(true);
    expect((await rows(me)).map((r) => [r.id, r.is_default])).toEqual([
      [a.id, false],
      [b.id, true],
    ]);
  });

  it('refuses to unset the default with INVALID_INPUT (another address must take it)', async () => {
    const me = await userWithToken(t);
    const a = await create(me);
    const res = await t.gql(UPDATE, { input: { id: a.id, isDefault: false, line1: 'Changed' } }, { token: me.token });
    expect(res.data!.updateAddress).toEqual({ address: null, errors: [{ code: 'INVALID_INPUT', field: ['input', 'isDefault'] }] });
    expect(await rows(me)).toEqual([expect.objectContaining({ is_default: true, line1: '文三路 90 號' })]);
  });

  it('refuses invalid fields with INVALID_INPUT and changes nothing', async () => {
    const me = await userWithToken(t);
    const a = await create(me);
    const before = await rows(me);
    const res = await t.gql(UPDATE, { input: { id: a.id, phone: 'call me', line1: 'Changed' } }, { token: me.token });
    expect(res.data!.updateAddress.errors).toEqual([{ code: 'INVALID_INPUT', field: ['input', 'phone'] }]);
    expect(await rows(me)).toEqual(before);
  });

  it("answers another user's address with NOT_FOUND and leaves it alone", async () => {
    const owner = await userWithToken(t);
    const stranger = await userWithToken(t);
    const a = await create(owner);
    const res = await t.gql(UPDATE, { input: { id: a.id, line1: 'Hijacked' } }, { token: stranger.token });
    expect(res.errors![0].extensions!.code).toBe('NOT_FOUND');
    expect((await rows(owner))[0].line1).toBe('文三路 90 號');
  });

  it('answers a malformed ID or an ID of another type with NOT_FOUND', async () => {
    const me = await userWithToken(t);
    for (const id of ['nonsense', toGlobalId('Shop', me.user.id)]) {
      expect((await t.gql(UPDATE, { input: { id, line1: 'x' } }, { token: me.token })).errors![0].extensions!.code).toBe('NOT_FOUND');
    }
  });
});

describe('deleteAddress', () => {
  it('deletes the address and passes a deleted default to the newest remaining address', async () => {
    const me = await userWithToken(t);
    const a = await create(me);
    const b = await create(me);
    const c = await create(me);
    await t.gql(UPDATE, { input: { id: a.id, isDefault: true } }, { token: me.token });
    const res = await t.gql(DELETE, { input: { id: a.id } }, { token: me.token });
    expect(res.data!.deleteAddress).toEqual({ deletedAddressId: a.id, errors: [] });
    expect((await rows(me)).map((r) => [r.id, r.is_default])).toEqual([
      [b.id, false],
      [c.id, true],
    ]);
  });

  it('keeps the default when another address is deleted, and leaves an empty book after the last', async () => {
    const me = await userWithToken(t);
    const a = await create(me);
    const b = await create(me);
    await t.gql(DELETE, { input: { id: b.id } }, { token: me.token });
    expect((await rows(me)).map((r) => [r.id, r.is_default])).toEqual([[a.id, true]]);
    await t.gql(DELETE, { input: { id: a.id } }, { token: me.token });
    expect(await rows(me)).toEqual([]);
    expect((await create(me)).isDefault).toBe(true);
  });

  it("answers another user's address with NOT_FOUND and keeps it", async () => {
    const owner = await userWithToken(t);
    const stranger = await userWithToken(t);
    const a = await create(owner);
    const res = await t.gql(DELETE, { input: { id: a.id } }, { token: stranger.token });
    expect(res.errors![0].extensions!.code).toBe('NOT_FOUND');
    expect(await rows(owner)).toHaveLength(1);
  });

  it('is UNAUTHENTICATED without a token', async () => {
    const owner = await userWithToken(t);
    const a = await create(owner);
    expect((await t.gql(DELETE, { input: { id: a.id } })).errors![0].extensions!.code).toBe('UNAUTHENTICATED');
    expect(await rows(owner)).toHaveLength(1);
  });
});

describe('Address as a node', () => {
  it('is refetched by its owner only', async () => {
    const owner = await userWithToken(t);
    const stranger = await userWithToken(t);
    const a = await create(owner);
    const query = `query($id: ID!) { node(id: $id) { id ... on Address { line1 } } }`;
    expect((await t.gql(query, { id: a.id }, { token: owner.token })).data!.node).toEqual({ id: a.id, line1: '文三路 90 號' });
    expect((await t.gql(query, { id: a.id }, { token: stranger.token })).data!.node).toBeNull();
    expect((await t.gql(query, { id: a.id })).data!.node).toBeNull();
  });
});
