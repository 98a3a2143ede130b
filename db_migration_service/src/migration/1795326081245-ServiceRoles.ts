import { MigrationInterface, QueryRunner } from "typeorm";

import { runStatements } from "../run-sql";

// Least privilege (docs/architecture.md, "Database roles"): one NOLOGIN role per service, granted only what that
// service's code does. The migrator stays the owner; `npm run migrate` then gives a role LOGIN and its password
// when <ROLE>_DB_PASSWORD is set (src/service-logins.ts). Roles are cluster-wide and outlive this database:
// created only when missing, and dropped on revert only when no other database still grants them anything.
export class ServiceRoles1795326081245 implements MigrationInterface {
  name = "ServiceRoles1795326081245";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await runStatements(queryRunner, UP);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await runStatements(queryRunner, DOWN);
  }
}

const UP: readonly string[] = [
  // The comment marks a service role: the only roles service-logins.ts ever gives a password.
  `DO $$
  DECLARE
    role_name text;
    existing pg_roles%ROWTYPE;
  BEGIN
    FOREACH role_name IN ARRAY ARRAY['client_api', 'balance_api', 'coin_api', 'bet_api', 'genai_api'] LOOP
      SELECT * INTO existing FROM pg_roles WHERE rolname = role_name;
      IF NOT FOUND THEN
        BEGIN
          EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION'
                         ' NOBYPASSRLS', role_name);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL;  -- another database of this cluster created it at the same moment
        END;
      ELSIF existing.rolsuper OR existing.rolcreatedb OR existing.rolcreaterole OR existing.rolreplication
            OR existing.rolbypassrls THEN
        RAISE EXCEPTION 'role % exists with more privileges than a service may have', role_name
          USING ERRCODE = '42501', HINT = 'drop or rename that role, then migrate again';
      END IF;
      EXECUTE format('COMMENT ON ROLE %I IS %L', role_name, 'buteco service role: the ' || role_name || ' service');
    END LOOP;
  END
  $$`,

  // Every role may already use the schema (PUBLIC may); granted explicitly so each role depends on this database
  // (pg_shdepend, copied with a template), which is what keeps a revert elsewhere from dropping it.
  `GRANT USAGE ON SCHEMA public TO client_api, balance_api, coin_api, bet_api, genai_api`,

  `GRANT SELECT, INSERT, UPDATE ON TABLE users TO client_api`,
  `GRANT USAGE ON SEQUENCE users_id_seq TO client_api`,

  `GRANT SELECT, INSERT, UPDATE ON TABLE accounts TO balance_api`,
  `GRANT SELECT, INSERT ON TABLE ledger_transactions, postings TO balance_api`,
  `GRANT USAGE ON SEQUENCE accounts_id_seq, ledger_transactions_id_seq, postings_id_seq TO balance_api`,
  `GRANT SELECT ON TABLE users TO balance_api`,

  `GRANT SELECT, INSERT, UPDATE ON TABLE daily_claims TO coin_api`,
  `GRANT USAGE ON SEQUENCE daily_claims_id_seq TO coin_api`,
  `GRANT SELECT ON TABLE users TO coin_api`,

  `GRANT SELECT, INSERT, UPDATE ON TABLE bet_events TO bet_api`,
  `GRANT SELECT, INSERT ON TABLE bet_outcomes TO bet_api`,
  `GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE bets, bet_stakes TO bet_api`,
  `GRANT USAGE ON SEQUENCE bet_events_id_seq, bet_outcomes_id_seq, bets_id_seq, bet_stakes_id_seq TO bet_api`,
  `GRANT SELECT ON TABLE users TO bet_api`,

  // genai_api holds no data: it only connects and runs SELECT 1 for /health.
];

const DOWN: readonly string[] = [
  `REVOKE ALL ON TABLE users, accounts, ledger_transactions, postings, daily_claims,
    bet_events, bet_outcomes, bets, bet_stakes
    FROM client_api, balance_api, coin_api, bet_api, genai_api`,
  `REVOKE ALL ON SEQUENCE users_id_seq, accounts_id_seq, ledger_transactions_id_seq, postings_id_seq,
    daily_claims_id_seq, bet_events_id_seq, bet_outcomes_id_seq, bets_id_seq, bet_stakes_id_seq
    FROM client_api, balance_api, coin_api, bet_api, genai_api`,
  `REVOKE ALL ON SCHEMA public FROM client_api, balance_api, coin_api, bet_api, genai_api`,
  // A role another database still grants something to stays (DROP ROLE refuses, SQLSTATE 2BP01).
  `DO $$
  DECLARE
    role_name text;
  BEGIN
    FOREACH role_name IN ARRAY ARRAY['client_api', 'balance_api', 'coin_api', 'bet_api', 'genai_api'] LOOP
      BEGIN
        EXECUTE format('DROP ROLE IF EXISTS %I', role_name);
      EXCEPTION WHEN dependent_objects_still_exist THEN
        RAISE NOTICE 'role % kept: another database of this cluster still uses it', role_name;
      END;
    END LOOP;
  END
  $$`,
];
