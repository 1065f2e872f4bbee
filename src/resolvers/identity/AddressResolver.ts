import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { Address } from '../../entities';
import * as addresses from '../../services/identity';
import { AddressInput, AddressPayload, DeleteAddressPayload, UpdateAddressInput } from '../../schema/identity/addresses';
import { IdInput, INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput, toGlobalId } from '../../schema/shared/globalId';
import { payload } from '../shared/payload';

const wrap = (address: Address) => ({ address });

@Resolver(() => Address)
export class AddressResolver {
  @Query(() => [Address], { description: 'Your address book: the default address first, then the newest.' })
  myAddresses(@Ctx() ctx: Context): Promise<Address[]> {
    return addresses.myAddresses(ctx);
  }

  @Mutation(() => AddressPayload, { description: 'Add an address (at most 50). Your first address, or one with `isDefault: true`, becomes the default.' })
  createAddress(@Arg('input', { description: INPUT_DESCRIPTION }) input: AddressInput, @Ctx() ctx: Context): Promise<AddressPayload> {
    return payload(() => addresses.createAddress(ctx, input), wrap);
  }

  @Mutation(() => AddressPayload, { description: 'Change one of your addresses, or make it the default.' })
  updateAddress(@Arg('input', { description: INPUT_DESCRIPTION }) input: UpdateAddressInput, @Ctx() ctx: Context): Promise<AddressPayload> {
    return payload(() => addresses.updateAddress(ctx, decodeInput(input, { id: 'Address' })), wrap);
  }

  @Mutation(() => DeleteAddressPayload, { description: 'Delete one of your addresses. When it was the default, the newest remaining address becomes the default.' })
  deleteAddress(@Arg('input', { description: INPUT_DESCRIPTION }) input: IdInput, @Ctx() ctx: Context): Promise<DeleteAddressPayload> {
    return payload(() => addresses.deleteAddress(ctx, decodeId('Address', input.id)), (key) => ({ deletedAddressId: toGlobalId('Address', key) }));
  }
}
