import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Notification, NotificationKind } from '../../entities';
import { UserError } from '../shared/common';
import { connectionTypes } from '../shared/relay';

export const { ConnectionType: NotificationConnection } = connectionTypes(Notification);

@InputType({ description: 'Which notifications to list.' })
export class NotificationFilter {
  @Field(() => Boolean, { nullable: true, description: 'true: only unread; false: only read; null: all.' })
  unread?: boolean | null;
}

@InputType({ description: 'Mark notifications read: the given ones, or all of yours when `ids` is null.' })
export class MarkReadInput {
  @Field(() => [ID], { nullable: true, description: 'Your notifications to mark read (at most 100); null marks every unread one.' })
  ids?: string[] | null;
}

@ObjectType({ description: 'The result of `markNotificationsRead`.' })
export class MarkReadPayload {
  @Field(() => Int, { nullable: true, description: "How many were unread and are now read; null when `errors` is not empty." })
  marked?: number | null;

  @Field(() => Int, { nullable: true, description: "Your unread notifications after this; null when `errors` is not empty." })
  unreadCount?: number | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}

@ObjectType({ description: 'Your channels for one kind of notification.' })
export class NotificationPreference {
  @Field(() => NotificationKind, { description: 'The kind.' })
  kind!: NotificationKind;

  @Field({ description: 'Shown in your inbox (and on `notificationAdded`).' })
  inbox!: boolean;

  @Field({ description: 'Emailed to you.' })
  email!: boolean;

  @Field({ description: 'Sent by SMS, when you have a phone number.' })
  sms!: boolean;
}

@InputType({ description: 'Your channels for one kind; unchanged kinds keep theirs.' })
export class NotificationPreferenceInput {
  @Field(() => NotificationKind, { description: 'The kind.' })
  kind!: NotificationKind;

  @Field({ description: 'Shown in your inbox.' })
  inbox!: boolean;

  @Field({ description: 'Emailed to you.' })
  email!: boolean;

  @Field({ description: 'Sent by SMS.' })
  sms!: boolean;
}

@ObjectType({ description: 'The result of `updateNotificationPreferences`.' })
export class NotificationPreferencesPayload {
  @Field(() => [NotificationPreference], { nullable: true, description: 'Every kind’s channels after the change; null when `errors` is not empty.' })
  preferences?: NotificationPreference[] | null;

  @Field(() => [UserError], { description: 'Expected failures; empty on success.' })
  errors!: UserError[];
}
