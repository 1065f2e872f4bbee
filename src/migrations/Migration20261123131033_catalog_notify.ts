import { Migration } from '@mikro-orm/migrations';

const TABLES = ['product', 'product_variant', 'shop', 'brand', 'category'];

export class Migration20261123131033_catalog_notify extends Migration {

  override async up(): Promise<void> {
    // Server processes cache anonymous catalog answers and drop them when this fires (on commit).
    this.addSql(`create function catalog_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('catalog_changed', '');
  return null;
end $$;`);
    for (const table of TABLES) {
      this.addSql(`create trigger "${table}_catalog_changed" after insert or update or delete or truncate on "${table}" for each statement execute function catalog_changed();`);
    }
  }

  override async down(): Promise<void> {
    for (const table of TABLES) this.addSql(`drop trigger if exists "${table}_catalog_changed" on "${table}";`);
    this.addSql(`drop function if exists catalog_changed();`);
  }

}
