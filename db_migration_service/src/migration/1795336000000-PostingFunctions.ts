import { MigrationInterface, QueryRunner } from "typeorm";

import { runStatements } from "../run-sql";

// The posting engine of docs/architecture.md ("balance_api", "One call per money move"): each money move is one
// `SELECT ledger_*(...)` in autocommit, so a move is one round trip and PL/pgSQL's cached plans take planning off
// the hot path. Order inside a move: the replay first; members resolved (a forgotten one is refused unless a twin
// answered the key meanwhile); accounts locked in id order; the overdraft checked before anything is written, so a
// refusal is an ordinary answer and never an error; then the key claimed (a twin that committed it first wins),
// missing accounts opened, balances updated and postings inserted. Every answer is one jsonb value: the move
// {"replayed", "transaction"} or {"refused": <code>, ...its data}. Only balance_api may run them (the hold moves,
// built on ledger_apply, are HoldFunctions').
// The entry points force generic plans: left to choose, PostgreSQL kept re-planning every statement that takes an
// array (a custom plan looked cheaper than the generic one), which tripled a transfer's CPU; the statements below
// are written so that their generic plans (index lookups per leg) suit two legs and ten thousand alike.
export class PostingFunctions1795336000000 implements MigrationInterface {
  name = "PostingFunctions1795336000000";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await runStatements(queryRunner, UP);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await runStatements(queryRunner, DOWN);
  }
}

const UP: readonly string[] = [
  // What a move is about, as ids a reader's language can render (a daily claim's number and streak, a bet's id):
  // a small object written by the posting call and part of its fingerprint; never a member's text.
  `ALTER TABLE ledger_transactions ADD COLUMN data jsonb,
    ADD CONSTRAINT ck_ledger_transactions_data_small_object
      CHECK (data IS NULL OR (jsonb_typeof(data) = 'object' AND octet_length(data::text) <= 1024))`,

  // A committed transaction as its caller first received it; a member forgotten since shows as null. Postings are
  // columns (one array per field, in posting order): ten thousand legs cost arrays, not ten thousand objects.
  `CREATE FUNCTION ledger_transaction_json(p_transaction_id bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
  BEGIN
    RETURN (
      SELECT jsonb_build_object('id', t.id, 'guild_id', t.guild_id, 'kind', t.kind, 'reason', t.reason,
               'data', t.data, 'idempotency_key', t.idempotency_key, 'created_at', t.created_at,
               'postings', (SELECT jsonb_build_object('account_id', array_agg(p.account_id ORDER BY p.id),
                                                      'user_id', array_agg(u.discord_id ORDER BY p.id),
                                                      'system', array_agg(a.system_code ORDER BY p.id),
                                                      'amount', array_agg(p.amount ORDER BY p.id),
                                                      'balance_after', array_agg(p.balance_after ORDER BY p.id))
                              FROM postings p JOIN accounts a ON a.id = p.account_id
                              LEFT JOIN users u ON u.id = a.user_id
                             WHERE p.transaction_id = t.id))
        FROM ledger_transactions t WHERE t.id = p_transaction_id);
  END
  $$`,

  // The first answer of a key already applied; NULL for a fresh key.
  `CREATE FUNCTION ledger_replay(p_key varchar, p_hash char) RETURNS jsonb LANGUAGE plpgsql STABLE
  SET plan_cache_mode = force_generic_plan AS $$
  DECLARE
    existing record;
  BEGIN
    SELECT id, request_hash INTO existing FROM ledger_transactions WHERE idempotency_key = p_key;
    IF NOT FOUND THEN
      RETURN NULL;
    ELSIF existing.request_hash <> p_hash THEN
      RETURN jsonb_build_object('refused', 'idempotency_key_reused');
    END IF;
    RETURN jsonb_build_object('replayed', true, 'transaction', ledger_transaction_json(existing.id));
  END
  $$`,

  // The move itself, for members already resolved: NULL when the key is taken (the caller replays), a refusal, or
  // the posted transaction. Accounts are locked in id order before the key is claimed, by every move: a twin waits
  // on the locks, then finds the key taken; no move waits on a key while holding locks another move needs first.
  // Legs are matched to accounts by index lookups, so a plan cached for two legs stays fast for ten thousand.
  `CREATE FUNCTION ledger_apply(p_guild_id bigint, p_kind varchar, p_reason varchar, p_key varchar, p_hash char,
                                p_user_ids bigint[], p_discord_ids bigint[], p_systems varchar[], p_amounts bigint[],
                                p_data jsonb DEFAULT NULL)
  RETURNS jsonb LANGUAGE plpgsql AS $$
  DECLARE
    account_ids bigint[];
    afters bigint[];
    overdrawn jsonb;
    locked bigint;
    found_accounts bigint;
    v_transaction_id bigint;
    v_transaction_at timestamptz;
  BEGIN
    LOOP
      PERFORM FROM accounts
        WHERE guild_id = p_guild_id AND (user_id = ANY(p_user_ids) OR system_code = ANY(p_systems))
        ORDER BY id FOR UPDATE;
      GET DIAGNOSTICS locked = ROW_COUNT;
      SELECT array_agg(coalesce(m.id, y.id) ORDER BY l.ord),
             array_agg(coalesce(m.balance, y.balance, 0) + l.amount ORDER BY l.ord),
             (array_agg(jsonb_build_object('balance', coalesce(m.balance, y.balance, 0), 'needed', -l.amount)
                        ORDER BY l.ord)
                FILTER (WHERE coalesce(m.balance, y.balance, 0) + l.amount < 0
                        AND NOT coalesce(m.allow_negative, y.allow_negative, l.s IS NOT DISTINCT FROM 'mint')))[1],
             count(coalesce(m.id, y.id))
        INTO account_ids, afters, overdrawn, found_accounts
        FROM unnest(p_user_ids, p_systems, p_amounts) WITH ORDINALITY AS l(u, s, amount, ord)
        LEFT JOIN accounts m ON m.guild_id = p_guild_id AND m.user_id = l.u
        LEFT JOIN accounts y ON y.guild_id = p_guild_id AND y.system_code = l.s;
      -- An account another move opened between the two statements is not ours yet: lock again, read again.
      EXIT WHEN found_accounts <= locked;
    END LOOP;
    IF overdrawn IS NOT NULL THEN
      RETURN jsonb_build_object('refused', 'insufficient_funds') || overdrawn;
    END IF;

    INSERT INTO ledger_transactions (guild_id, idempotency_key, request_hash, kind, reason, data)
      VALUES (p_guild_id, p_key, p_hash, p_kind, p_reason, p_data)
      ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, created_at INTO v_transaction_id, v_transaction_at;
    IF v_transaction_id IS NULL THEN
      RETURN NULL;
    END IF;

    IF array_position(account_ids, NULL) IS NOT NULL THEN
      -- Opened (or found opened by another move meanwhile) and locked; new ids come after every id locked above.
      INSERT INTO accounts (guild_id, user_id, system_code, allow_negative)
        SELECT p_guild_id, l.u, l.s, l.s IS NOT DISTINCT FROM 'mint'
          FROM unnest(p_user_ids, p_systems, account_ids) AS l(u, s, id)
         WHERE l.id IS NULL ORDER BY l.u, l.s
        ON CONFLICT DO NOTHING;
      PERFORM FROM accounts
        WHERE guild_id = p_guild_id AND (user_id = ANY(p_user_ids) OR system_code = ANY(p_systems))
        ORDER BY id FOR UPDATE;
      SELECT array_agg(coalesce(m.id, y.id) ORDER BY l.ord),
             array_agg(coalesce(m.balance, y.balance) + l.amount ORDER BY l.ord)
        INTO account_ids, afters
        FROM unnest(p_user_ids, p_systems, p_amounts) WITH ORDINALITY AS l(u, s, amount, ord)
        LEFT JOIN accounts m ON m.guild_id = p_guild_id AND m.user_id = l.u
        LEFT JOIN accounts y ON y.guild_id = p_guild_id AND y.system_code = l.s;
    END IF;

    WITH moved AS (
      UPDATE accounts a SET balance = v.after, updated_at = now()
        FROM unnest(account_ids, afters) AS v(id, after)
       WHERE a.id = v.id)
    INSERT INTO postings (transaction_id, account_id, amount, balance_after)
      SELECT v_transaction_id, p.id, p.amount, p.after
        FROM unnest(account_ids, p_amounts, afters) WITH ORDINALITY AS p(id, amount, after, ord) ORDER BY p.ord;

    RETURN jsonb_build_object('replayed', false, 'transaction', jsonb_build_object(
      'id', v_transaction_id, 'guild_id', p_guild_id, 'kind', p_kind, 'reason', p_reason, 'data', p_data,
      'idempotency_key', p_key,
      'created_at', v_transaction_at,
      'postings', jsonb_build_object('account_id', account_ids, 'user_id', p_discord_ids, 'system', p_systems,
                                     'amount', p_amounts, 'balance_after', afters)));
  END
  $$`,

  // A balanced move between members (by Discord id) and system accounts (by code), leg i being p_discord_ids[i]
  // or p_systems[i]; the caller has checked the legs balance and name each account once, and put p_data (the
  // move's ids, for readers) in p_hash.
  `CREATE FUNCTION ledger_post(p_guild_id bigint, p_kind varchar, p_reason varchar, p_key varchar, p_hash char,
                               p_discord_ids bigint[], p_systems varchar[], p_amounts bigint[],
                               p_data jsonb DEFAULT NULL)
  RETURNS jsonb LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
  DECLARE
    answer jsonb;
    user_ids bigint[];
    v_unknown bigint;
  BEGIN
    answer := ledger_replay(p_key, p_hash);
    IF answer IS NOT NULL THEN
      RETURN answer;
    END IF;
    SELECT array_agg(u.id ORDER BY l.ord), (array_agg(l.d ORDER BY l.ord) FILTER (WHERE u.id IS NULL AND l.d IS NOT NULL))[1]
      INTO user_ids, v_unknown
      FROM unnest(p_discord_ids) WITH ORDINALITY AS l(d, ord)
      LEFT JOIN users u ON u.discord_id = l.d AND l.d IS NOT NULL;
    IF v_unknown IS NOT NULL THEN  -- a twin may have paid just before the member was forgotten: its answer stands
      RETURN coalesce(ledger_replay(p_key, p_hash), jsonb_build_object('refused', 'user_not_found', 'user_id', v_unknown));
    END IF;
    answer := ledger_apply(p_guild_id, p_kind, p_reason, p_key, p_hash, user_ids, p_discord_ids, p_systems, p_amounts,
                           p_data);
    IF answer IS NULL OR answer ? 'refused' THEN  -- the key taken, or refused after a twin moved the coins first
      RETURN coalesce(ledger_replay(p_key, p_hash), answer);
    END IF;
    RETURN answer;
  END
  $$`,

  // Functions are executable by PUBLIC unless told otherwise; they run as their caller (SECURITY INVOKER), so
  // balance_api's own table grants still bound what they may do.
  `REVOKE EXECUTE ON FUNCTION ledger_transaction_json(bigint),
    ledger_replay(varchar, char),
    ledger_apply(bigint, varchar, varchar, varchar, char, bigint[], bigint[], varchar[], bigint[], jsonb),
    ledger_post(bigint, varchar, varchar, varchar, char, bigint[], varchar[], bigint[], jsonb) FROM PUBLIC`,
  `GRANT EXECUTE ON FUNCTION ledger_transaction_json(bigint),
    ledger_replay(varchar, char),
    ledger_apply(bigint, varchar, varchar, varchar, char, bigint[], bigint[], varchar[], bigint[], jsonb),
    ledger_post(bigint, varchar, varchar, varchar, char, bigint[], varchar[], bigint[], jsonb) TO balance_api`,
];

const DOWN: readonly string[] = [
  `DROP FUNCTION ledger_post(bigint, varchar, varchar, varchar, char, bigint[], varchar[], bigint[], jsonb)`,
  `DROP FUNCTION ledger_apply(bigint, varchar, varchar, varchar, char, bigint[], bigint[], varchar[], bigint[], jsonb)`,
  `DROP FUNCTION ledger_replay(varchar, char)`,
  `DROP FUNCTION ledger_transaction_json(bigint)`,
  `ALTER TABLE ledger_transactions DROP COLUMN data`,
];
