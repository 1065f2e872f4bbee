import { Arg, Args, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../../context';
import { Notification } from '../../entities';
import * as notifications from '../../services/notifications';
import { MarkReadInput, MarkReadPayload, NotificationConnection, NotificationFilter, NotificationPreference, NotificationPreferenceInput, NotificationPreferencesPayload } from '../../schema/notifications/inbox';
import { decodeIds } from '../../schema/shared/globalId';
import { connection, ConnectionArgs } from '../../schema/shared/relay';
import { payload } from '../shared/payload';

@Resolver(() => Notification)
export class NotificationResolver {
  @Query(() => NotificationConnection, { description: 'Your notifications, newest first; `filter.unread` narrows to unread (or read) ones.' })
  myNotifications(@Arg('filter', () => NotificationFilter, { nullable: true, description: 'Which ones; all when null.' }) filter: NotificationFilter | null, @Args() args: ConnectionArgs, @Ctx() ctx: Context) {
    return connection(notifications.myNotifications(ctx, filter, args));
  }

  @Query(() => Int, { description: 'How many of your notifications are unread.' })
  unreadNotificationCount(@Ctx() ctx: Context): Promise<number> {
    return notifications.unreadNotificationCount(ctx);
  }

  @Query(() => [NotificationPreference], { description: 'Your channels (inbox, email, SMS) for every kind of notification: your choice, or the kind’s default.' })
  notificationPreferences(@Ctx() ctx: Context) {
    return notifications.notificationPreferences(ctx);
  }

  @Mutation(() => MarkReadPayload, { description: 'Mark your notifications read: the given ones (NOT_FOUND if one is not yours; nothing changes), or every unread one when `ids` is null. INVALID_INPUT for more than 100.' })
  markNotificationsRead(@Arg('input', () => MarkReadInput, { description: 'The notifications, or null IDs for all.' }) input: MarkReadInput, @Ctx() ctx: Context) {
    return payload(() => notifications.markNotificationsRead(ctx, input.ids && decodeIds('Notification', input.ids)), (r) => r);
  }

  @Mutation(() => NotificationPreferencesPayload, { description: 'Choose your channels for the kinds given; the others keep theirs. Transactional messages (password reset, payment receipts) are sent whatever you choose. INVALID_INPUT for a kind given twice.' })
  updateNotificationPreferences(@Arg('input', () => [NotificationPreferenceInput], { description: 'One entry per kind to change.' }) input: NotificationPreferenceInput[], @Ctx() ctx: Context) {
    return payload(() => notifications.updateNotificationPreferences(ctx, input), (preferences) => ({ preferences }));
  }
}
