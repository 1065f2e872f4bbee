import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { BadInputError } from '../../errors';
import { Node } from '../../entities/Node';
import { fetchNode } from '../../services/platform';
import { parseNodeId } from '../../schema/shared/globalId';

const MAX_NODES = 100;

/** A malformed ID, or one of a type `node` does not know, is as absent as an unknown one: null. */
function refetch(ctx: Context, id: string): Promise<object | null> {
  const parsed = parseNodeId(id);
  return parsed ? fetchNode(ctx, parsed.type, parsed.key) : Promise.resolve(null);
}

@Resolver()
export class NodeResolver {
  @Query(() => Node, { nullable: true, description: 'Refetch any object by its global ID; null when it does not exist or you may not see it.' })
  node(@Arg('id', () => ID, { description: 'Global ID of the object.' }) id: string, @Ctx() ctx: Context) {
    return refetch(ctx, id);
  }

  @Query(() => [Node], { nullable: 'items', description: 'Refetch up to 100 objects by global ID, in the order given; null for each one you may not see.' })
  nodes(@Arg('ids', () => [ID], { description: 'Global IDs, at most 100.' }) ids: string[], @Ctx() ctx: Context) {
    if (ids.length > MAX_NODES) throw new BadInputError(`At most ${MAX_NODES} ids`, 'ids');
    return Promise.all(ids.map((id) => refetch(ctx, id)));
  }
}
