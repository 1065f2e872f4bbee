import { Field, ID, InputType } from 'type-graphql';
import { AuditEntry } from '../../entities/AuditEntry';
import { connectionTypes } from '../shared/relay';

@InputType({ description: 'Filters for the audit log.' })
export class AuditLogFilter {
  @Field(() => ID, { nullable: true, description: 'Only actions by this user.' })
  actorId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only this action, e.g. "shop.suspend".' })
  action?: string | null;

  @Field(() => String, { nullable: true, description: 'Only actions on this type, e.g. "Shop".' })
  targetType?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only actions on this object (global ID; needs targetType).' })
  targetId?: string | null;
}

export const { ConnectionType: AuditEntryConnection } = connectionTypes(AuditEntry);
