import { AppDataSource } from "./data-source";

// Run first by `npm run migrate`: a database that is still starting (compose's postgres between its init server and
// the real one, a restart) refuses connections for a few seconds; the migrator waits that out instead of failing
// for good (compose runs it once). A wrong password or database name fails at once: waiting would not help.
const ATTEMPTS = 10;
const DELAYS_S = [1, 1, 2, 2, 3, 3, 5, 5, 5]; // ~27 s in all
const TRANSIENT_CODES = new Set([
  "ECONNREFUSED", // nothing listens yet
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND", // the host name is not in DNS yet (a container just created)
  "EAI_AGAIN",
  "57P03", // cannot_connect_now: "the database system is starting up" / "is shutting down"
]);

type ConnectError = Error & { code?: string; errors?: { code?: string }[] };

function codeOf(error: ConnectError): string | undefined {
  return error.code ?? error.errors?.find((inner) => inner.code)?.code; // Node 20: an AggregateError per address
}

function sleep(seconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

async function main(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await AppDataSource.initialize();
      await AppDataSource.destroy();
      if (attempt > 1) {
        console.log(`database: reachable after ${attempt} attempts`);
      }
      return;
    } catch (raw) {
      const error = raw as ConnectError;
      const code = codeOf(error);
      if (!code || !TRANSIENT_CODES.has(code) || attempt >= ATTEMPTS) {
        const tried = code && TRANSIENT_CODES.has(code) ? ` after ${attempt} attempts` : "";
        console.error(
          `database: cannot connect${tried} (${code ?? "no error code"}: ${error.message}); ` +
            "check that PostgreSQL is up and DATABASE_URL's host, port, user, password and database",
        );
        process.exit(1);
      }
      const delay = DELAYS_S[attempt - 1];
      console.log(`database: not ready (${code}); attempt ${attempt}/${ATTEMPTS} failed, next in ${delay} s`);
      await sleep(delay);
    }
  }
}

void main();
