import { Migration } from '@mikro-orm/migrations';

export class Migration20261206030559_payment_unopened extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "payment_unopened_idx" on "payment" ("id") where "status" = 'PENDING' and "provider_reference" is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "payment_unopened_idx";`);
  }

}
