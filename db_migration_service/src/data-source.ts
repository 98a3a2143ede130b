import "reflect-metadata";
import path from "node:path";
import { DataSource } from "typeorm";

// Same URL forms the Python services accept, so one DATABASE_URL serves the whole stack.
const ACCEPTED_SCHEME = /^(postgres|postgresql|postgresql\+psycopg2):\/\//;

function databaseUrl(): string {
  const url = process.env.DATABASE_URL?.trim();
  if (!url) {
    throw new Error("DATABASE_URL is not set; expected e.g. postgresql://user:password@host:5432/buteco");
  }
  if (!ACCEPTED_SCHEME.test(url)) {
    throw new Error("DATABASE_URL must be a postgres:// or postgresql:// URL");
  }
  return url.replace(ACCEPTED_SCHEME, "postgresql://");
}

// The CLI requires exactly one exported DataSource.
export const AppDataSource = new DataSource({
  type: "postgres",
  url: databaseUrl(),
  applicationName: "buteco-db-migration-service",
  synchronize: false,
  entities: [path.join(__dirname, "entity", "*.js")],
  migrations: [path.join(__dirname, "migration", "*.js")],
  migrationsTableName: "typeorm_migrations",
  migrationsTransactionMode: "each",
});
