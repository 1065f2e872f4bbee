import { Migration } from '@mikro-orm/migrations';

export class Migration20261123110940_invitation_token extends Migration {

  override async up(): Promise<void> {
    // Invitations made before this have no secret and can no longer be accepted: owners invite again.
    this.addSql(`alter table "shop_invitation" add column "token_hash" text not null default '';`);
    this.addSql(`alter table "shop_invitation" alter column "token_hash" drop default;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "shop_invitation" drop column "token_hash";`);
  }

}
