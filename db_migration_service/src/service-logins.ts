import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

import { AppDataSource } from "./data-source";

// Run after the migrations (`npm run migrate`): each service role whose <ROLE>_DB_PASSWORD is set may log in,
// with that password. Only roles the ServiceRoles migration marked are ever touched, never the owner.
const MARKER = "buteco service role:%";
// It goes into a DATABASE_URL unescaped, and SASLprep leaves these characters alone.
const PASSWORD = /^[A-Za-z0-9._~-]{16,200}$/;
const VARIABLE = /^[A-Z][A-Z0-9_]*_DB_PASSWORD$/;
const SCRAM_ITERATIONS = 4096;

// PostgreSQL's SCRAM-SHA-256 verifier: the server stores it as is, so the password never reaches it or its logs.
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:` +
    serverKey.toString("base64");
}

function passwordVariable(role: string): string {
  return `${role.toUpperCase()}_DB_PASSWORD`;
}

async function main(): Promise<void> {
  const source = await AppDataSource.initialize();
  try {
    const rows: { rolname: string }[] = await source.query(
      "SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') LIKE $1 AND NOT rolsuper" +
        " ORDER BY rolname",
      [MARKER],
    );
    const roles = rows.map((row) => row.rolname);
    for (const role of roles) {
      const variable = passwordVariable(role);
      const password = process.env[variable];
      if (!password) {
        console.log(`service role ${role}: ${variable} not set, login unchanged`);
        continue;
      }
      if (!PASSWORD.test(password)) {
        throw new Error(`${variable} must be 16-200 characters from A-Z a-z 0-9 . _ ~ - (make env writes one)`);
      }
      const [{ sql }] = await source.query(
        "SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', $1::text, $2::text) AS sql",
        [role, scramVerifier(password)],
      );
      await source.query(sql);
      console.log(`service role ${role}: may log in (${variable})`);
    }
    const known = new Set(roles.map(passwordVariable));
    for (const name of Object.keys(process.env).filter((key) => VARIABLE.test(key) && !known.has(key)).sort()) {
      const role = name.slice(0, -"_DB_PASSWORD".length).toLowerCase();
      console.warn(`${name} ignored: no migration created a service role ${role}`);
    }
  } finally {
    await source.destroy();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`service logins failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
