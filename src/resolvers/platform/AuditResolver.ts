import { Args, ArgsType, Ctx, Field, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../context';
import { User } from '../../entities';
import { AuditEntry } from '../../entities/AuditEntry';
import { listAuditLog } from '../../services/platform';
import { AuditEntryConnection, AuditLogFilter } from '../../schema/onboarding/onboarding';
import { connection, ConnectionArgs } from '../../schema/shared/relay';

@ArgsType()
class AuditLogArgs extends ConnectionArgs {
  @Field(() => AuditLogFilter, { nullable: true, description: 'Filters.' })
  filter?: AuditLogFilter | null;
}

@Resolver(() => AuditEntry)
export class AuditResolver {
  @Query(() => AuditEntryConnection, { description: 'Staff actions and membership changes, newest first (ADMIN, RISK).' })
  auditLog(@Args() args: AuditLogArgs, @Ctx() ctx: Context) {
    return connection(listAuditLog(ctx, args));
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who did it.' })
  actor(@Root() entry: AuditEntry, @Ctx() ctx: Context): Promise<User | null> | null {
    return entry.actor ? ctx.loaders.userById.load(entry.actor.id) : null;
  }
}
