import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app';
import { userWithToken } from '../helpers/factories';
import { ShopMemberRole } from '../../src/entities';
import { seller } from '../helpers/catalog';
import { code, okPayload, payloadOf } from '../helpers/kit';
import { joinShop } from '../helpers/scenario';

/** `updateProfile`: the display name and the SMS number, the user's own to change and to see. */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const UPDATE = `mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { user { id displayName phone } errors { code field message } } }`;
const ME = `query { me { displayName phone } }`;

describe('updating your profile', () => {
  it('changes the name and the SMS number, keeps what is left out, and removes the number with null', async () => {
    const me = await userWithToken(t);
    const set = okPayload(await t.gql(UPDATE, { input: { displayName: ' 王小明 ', phone: '+86 138-1234-5678' } }, { token: me.token }), 'updateProfile');
    expect(set.user).toMatchObject({ displayName: '王小明', phone: '+8613812345678' });
    okPayload(await t.gql(UPDATE, { input: { displayName: 'Ming' } }, { token: me.token }), 'updateProfile');
    expect(payloadOf(await t.gql(ME, {}, { token: me.token }), 'me')).toEqual({ displayName: 'Ming', phone: '+8613812345678' });
    okPayload(await t.gql(UPDATE, { input: { phone: null } }, { token: me.token }), 'updateProfile');
    expect(payloadOf(await t.gql(ME, {}, { token: me.token }), 'me')).toEqual({ displayName: 'Ming', phone: null });
  });

  it('refuses a name outside 1 to 80 characters, a removed name and a number not in international form, changing nothing', async () => {
    const me = await userWithToken(t);
    const before = payloadOf(await t.gql(ME, {}, { token: me.token }), 'me');
    for (const [input, field] of [
      [{ displayName: '   ' }, 'displayName'],
      [{ displayName: 'x'.repeat(81) }, 'displayName'],
      [{ displayName: null }, 'displayName'],
      [{ phone: '13812345678' }, 'phone'],
      [{ phone: '+0123' }, 'phone'],
    ] as const) {
      const { errors } = payloadOf(await t.gql(UPDATE, { input: { ...input, ...(field === 'phone' ? { displayName: 'Changed' } : {}) } }, { token: me.token }), 'updateProfile');
      expect(errors, JSON.stringify(input)).toEqual([{ code: 'INVALID_INPUT', field: ['input', field], message: expect.any(String) }]);
    }
    expect(payloadOf(await t.gql(ME, {}, { token: me.token }), 'me')).toEqual(before);
  });

  it('is for the signed-in, and the number is shown to nobody else: a fellow member of a shop sees the name, not the number', async () => {
    expect(code(await t.gql(UPDATE, { input: { displayName: 'Anon' } }))).toBe('UNAUTHENTICATED');
    const shop = await seller(t);
    const member = await joinShop(t, shop, ShopMemberRole.OPERATOR);
    okPayload(await t.gql(UPDATE, { input: { phone: '+8613800000000' } }, { token: member.token }), 'updateProfile');
    const MEMBERS = `query($id: ID!) { shop(id: $id) { members { role user { displayName phone } } } }`;
    const res = await t.gql(MEMBERS, { id: shop.shopId }, { token: shop.owner.token });
    expect(code(res)).toBe('FORBIDDEN');
    expect(JSON.stringify(res.data)).not.toContain('+8613800000000');
  });
});
