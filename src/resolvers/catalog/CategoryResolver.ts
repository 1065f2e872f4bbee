import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { Category } from '../../entities';
import * as categories from '../../services/catalog';
import { INPUT_DESCRIPTION } from '../../schema/shared/common';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { CategoryInput, CategoryPayload, UpdateCategoryInput } from '../../schema/catalog/categories';
import { DecimalScalar } from '../../schema/shared/scalars';
import { payload } from '../shared/payload';

@Resolver(() => Category)
export class CategoryResolver {
  @Query(() => [Category], { description: 'Root categories; follow `children` for the tree.' })
  categories(@Ctx() ctx: Context): Promise<Category[]> {
    return categories.rootCategories(ctx);
  }

  @Query(() => Category, { nullable: true, description: 'One category by ID or slug.' })
  async category(
    @Ctx() ctx: Context,
    @Arg('id', () => ID, { nullable: true, description: 'Global ID.' }) id?: string,
    @Arg('slug', () => String, { nullable: true, description: 'Slug.' }) slug?: string,
  ): Promise<Category | null> {
    if (id) return ctx.loaders.categoryById.load(decodeId('Category', id));
    return slug ? ctx.em.findOne(Category, { slug }) : null;
  }

  @Mutation(() => CategoryPayload, { description: 'Create a category (OPERATIONS).' })
  createCategory(@Arg('input', { description: INPUT_DESCRIPTION }) input: CategoryInput, @Ctx() ctx: Context): Promise<CategoryPayload> {
    return payload(() => categories.createCategory(ctx, decodeInput(input, { parentId: 'Category' })), (category) => ({ category }));
  }

  @Mutation(() => CategoryPayload, { description: 'Rename, re-rate or move a category with its subtree (OPERATIONS).' })
  updateCategory(@Arg('input', { description: INPUT_DESCRIPTION }) input: UpdateCategoryInput, @Ctx() ctx: Context): Promise<CategoryPayload> {
    return payload(() => categories.updateCategory(ctx, decodeInput(input, { id: 'Category', parentId: 'Category' })), (category) => ({ category }));
  }

  @FieldResolver(() => Category, { nullable: true, description: 'Parent category; null for roots.' })
  parent(@Root() category: Category, @Ctx() ctx: Context): Promise<Category | null> | null {
    return category.parent ? ctx.loaders.categoryById.load(category.parent.id) : null;
  }

  @FieldResolver(() => [Category], { description: 'Direct sub-categories.' })
  children(@Root() category: Category, @Ctx() ctx: Context): Promise<Category[]> {
    return ctx.loaders.categoryChildrenByParentId.load(category.id);
  }

  @FieldResolver(() => DecimalScalar, { description: 'Effective commission rate: this category’s, else the nearest ancestor’s, else the platform default.' })
  commissionRate(@Root() category: Category, @Ctx() ctx: Context): Promise<string> {
    return categories.effectiveCommissionRate(ctx, category);
  }
}
