import { Args, ArgsType, Ctx, Field, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { User } from '../../entities';
import { AuditEntry } from '../../entities/AuditEntry';
import { type AuditFilter, listAuditLog } from '../../services/platform';
import { AuditEntryConnection, AuditLogFilter } from '../../schema/platform/audit';
import { decodeId, decodeInput } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';

@ArgsType()
class AuditLogArgs extends ConnectionArgs {
  @Field(() => AuditLogFilter, { nullable: true, description: 'Filters.' })
  filter?: AuditLogFilter | null;
}

/** The filter with keys for IDs: the actor is a User, the target of `targetType` (without one, `targetId` is matched as given). */
function filterKeys(filter: AuditLogFilter): AuditFilter {
  const keys = decodeInput(filter, { actorId: 'User' });
  return filter.targetType && filter.targetId ? { ...keys, targetId: decodeId(filter.targetType, filter.targetId) } : keys;
}

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditEntryConnection, { description: 'Staff actions and membership changes, newest first (ADMIN, RISK).' })
  auditLog(@Args() args: AuditLogArgs, @Ctx() ctx: Context) {
    return connection(listAuditLog(ctx, { ...args, filter: args.filter && filterKeys(args.filter) }));
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who did it.' })
  actor(@Root() entry: AuditEntry, @Ctx() ctx: Context): Promise<User | null> | null {
    return entry.actor ? ctx.loaders.userById.load(entry.actor.id) : null;
  }
}
