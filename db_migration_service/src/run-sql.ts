import { QueryRunner } from "typeorm";

// Migrations are reviewed SQL: each one is a list of statements run in order, inside its own transaction.
export async function runStatements(queryRunner: QueryRunner, statements: readonly string[]): Promise<void> {
  for (const sql of statements) {
    await queryRunner.query(sql);
  }
}
