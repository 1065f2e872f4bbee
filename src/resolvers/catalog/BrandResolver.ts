import { Arg, Args, ArgsType, Ctx, Field, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { Brand } from '../../entities';
import * as brands from '../../services/catalog';
import { BrandConnection, BrandInput, BrandPayload, UpdateBrandInput } from '../../schema/catalog/catalog';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@ArgsType()
class BrandsArgs extends ConnectionArgs {
  @Field(() => String, { nullable: true, description: 'Only brands whose name starts with this (case-insensitive).' })
  search?: string | null;
}

const wrap = (brand: Brand) => ({ brand });

@Resolver(() => Brand)
export class BrandResolver {
  @Query(() => BrandConnection, { description: 'Brands, alphabetical.' })
  brands(@Args() args: BrandsArgs, @Ctx() ctx: Context) {
    return connection(brands.listBrands(ctx, args));
  }

  @Query(() => Brand, { nullable: true, description: 'One brand by ID.' })
  brand(@Arg('id', () => ID, { description: 'Global ID.' }) id: string, @Ctx() ctx: Context): Promise<Brand | null> {
    return ctx.loaders.brandById.load(decodeId('Brand', id));
  }

  @Mutation(() => BrandPayload, { description: 'Create a brand (OPERATIONS).' })
  createBrand(@Arg('input', { description: INPUT_DESCRIPTION }) input: BrandInput, @Ctx() ctx: Context): Promise<BrandPayload> {
    return payload(() => brands.createBrand(ctx, input), wrap);
  }

  @Mutation(() => BrandPayload, { description: 'Rename, re-slug or change the logo of a brand (OPERATIONS).' })
  updateBrand(@Arg('input', { description: INPUT_DESCRIPTION }) input: UpdateBrandInput, @Ctx() ctx: Context): Promise<BrandPayload> {
    return payload(() => brands.updateBrand(ctx, decodeInput(input, { id: 'Brand' })), wrap);
  }
}
