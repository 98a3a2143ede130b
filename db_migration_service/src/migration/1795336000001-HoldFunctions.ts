import { MigrationInterface, QueryRunner } from "typeorm";

import { runStatements } from "../run-sql";

// The hold moves of docs/architecture.md ("Holds"), on the posting engine of PostingFunctions (ledger_apply): each
// is one `SELECT ledger_*(...)` in autocommit. A hold takes the member's coins into `holds` with its row in the same
// transaction; a capture or a release locks the hold's row and its status decides, so each happens once; the
// sweeper's step passes over a hold that a capture or a release has locked. Answers: {"replayed", "hold"} or
// {"refused": <code>, ...}. Only balance_api may run them; the entry points force generic plans, as ledger_post.
export class HoldFunctions1795336000001 implements MigrationInterface {
  name = "HoldFunctions1795336000001";

  public async up(queryRunner: QueryRunner): Promise<void> {
    await runStatements(queryRunner, UP);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await runStatements(queryRunner, DOWN);
  }
}

const UP: readonly string[] = [
  // A hold as balance_api answers it; a member forgotten since shows as null.
  `CREATE FUNCTION ledger_hold_json(p_hold_id bigint) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
  BEGIN
    RETURN (
      SELECT jsonb_build_object('id', h.id, 'guild_id', h.guild_id, 'user_id', u.discord_id, 'system', h.system_code,
               'amount', h.amount, 'kind', h.kind, 'reason', h.reason, 'status', h.status,
               'expires_at', h.expires_at, 'created_at', h.created_at, 'resolved_at', h.resolved_at,
               'hold_transaction_id', h.hold_transaction_id, 'final_transaction_id', h.final_transaction_id)
        FROM holds h JOIN accounts a ON a.id = h.user_account_id LEFT JOIN users u ON u.id = a.user_id
       WHERE h.id = p_hold_id);
  END
  $$`,

  // The hold a key already made; NULL for a fresh key. The ledger key first: a twin that commits between the two
  // reads then shows its hold row too (one transaction).
  `CREATE FUNCTION ledger_hold_replay(p_key varchar, p_hash char) RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
  DECLARE
    existing record;
  BEGIN
    PERFORM FROM ledger_transactions WHERE idempotency_key = p_key;
    IF NOT FOUND THEN
      RETURN NULL;
    END IF;
    SELECT id, request_hash INTO existing FROM holds WHERE idempotency_key = p_key;
    IF NOT FOUND OR existing.request_hash <> p_hash THEN
      RETURN jsonb_build_object('refused', 'idempotency_key_reused');
    END IF;
    RETURN jsonb_build_object('replayed', true, 'hold', ledger_hold_json(existing.id));
  END
  $$`,

  // Takes a member's coins into the guild's holds account, with the hold's row in the same transaction.
  `CREATE FUNCTION ledger_hold(p_guild_id bigint, p_discord_id bigint, p_system varchar, p_amount bigint,
                               p_kind varchar, p_reason varchar, p_expires_in_s integer, p_key varchar, p_hash char)
  RETURNS jsonb LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
  DECLARE
    answer jsonb;
    v_member bigint;
    v_hold_id bigint;
  BEGIN
    answer := ledger_hold_replay(p_key, p_hash);
    IF answer IS NOT NULL THEN
      RETURN answer;
    END IF;
    SELECT id INTO v_member FROM users WHERE discord_id = p_discord_id;
    IF v_member IS NULL THEN
      RETURN coalesce(ledger_hold_replay(p_key, p_hash),
                      jsonb_build_object('refused', 'user_not_found', 'user_id', p_discord_id));
    END IF;
    answer := ledger_apply(p_guild_id, 'hold', p_reason, p_key, p_hash, ARRAY[v_member, NULL],
                           ARRAY[p_discord_id, NULL], ARRAY[NULL, 'holds'], ARRAY[-p_amount, p_amount]);
    IF answer IS NULL OR answer ? 'refused' THEN
      RETURN coalesce(ledger_hold_replay(p_key, p_hash), answer);
    END IF;
    INSERT INTO holds (guild_id, user_account_id, system_code, amount, kind, reason, idempotency_key, request_hash,
                       expires_at, hold_transaction_id)
      VALUES (p_guild_id, (answer #>> '{transaction,postings,account_id,0}')::bigint, p_system, p_amount, p_kind,
              p_reason, p_key, p_hash, now() + make_interval(secs => p_expires_in_s),
              (answer #>> '{transaction,id}')::bigint)
      RETURNING id INTO v_hold_id;
    RETURN jsonb_build_object('replayed', false, 'hold', ledger_hold_json(v_hold_id));
  END
  $$`,

  // The second move of a locked held hold: holds -> its system account (captured), or back to the member.
  `CREATE FUNCTION ledger_settle_hold(p_hold_id bigint, p_status varchar) RETURNS void LANGUAGE plpgsql AS $$
  DECLARE
    hold record;
    v_key varchar;
    answer jsonb;
  BEGIN
    SELECT h.guild_id, h.amount, h.kind, h.reason, h.system_code, a.user_id, u.discord_id INTO hold
      FROM holds h JOIN accounts a ON a.id = h.user_account_id LEFT JOIN users u ON u.id = a.user_id
     WHERE h.id = p_hold_id;
    v_key := 'hold:' || p_hold_id || CASE WHEN p_status = 'captured' THEN ':capture' ELSE ':release' END;
    IF p_status = 'captured' THEN
      answer := ledger_apply(hold.guild_id, hold.kind, hold.reason, v_key, ledger_key_hash(v_key),
                             ARRAY[NULL, NULL]::bigint[], ARRAY[NULL, NULL]::bigint[],
                             ARRAY['holds', hold.system_code], ARRAY[-hold.amount, hold.amount]);
    ELSE
      answer := ledger_apply(hold.guild_id, 'hold_release', hold.reason, v_key, ledger_key_hash(v_key),
                             ARRAY[NULL, hold.user_id], ARRAY[NULL, hold.discord_id],
                             ARRAY['holds', NULL], ARRAY[-hold.amount, hold.amount]);
    END IF;
    IF answer IS NULL OR answer ? 'refused' THEN
      RAISE EXCEPTION 'hold % cannot be %', p_hold_id, p_status
        USING ERRCODE = '55000', DETAIL = coalesce(answer::text, format('ledger key %s is taken', v_key));
    END IF;
    UPDATE holds SET status = p_status, resolved_at = now(),
                     final_transaction_id = (answer #>> '{transaction,id}')::bigint
     WHERE id = p_hold_id;
  END
  $$`,

  // The fingerprint balance_api's request_fingerprint gives {"op": key}: SHA-256 of its canonical JSON.
  `CREATE FUNCTION ledger_key_hash(p_key varchar) RETURNS char LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to('{"op":' || to_json(p_key)::text || '}', 'UTF8')), 'hex')
  $$`,

  // Capture (p_action 'capture') or release ('release') of a hold whose kind is one of p_kinds, the caller's.
  // Capture past the expiry releases the hold right here and refuses, so a late capture never charges.
  `CREATE FUNCTION ledger_resolve_hold(p_guild_id bigint, p_hold_id bigint, p_action varchar, p_kinds varchar[])
  RETURNS jsonb LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
  DECLARE
    hold record;
  BEGIN
    SELECT h.id, h.kind, h.status, h.expires_at, h.expires_at <= clock_timestamp() AS past_expiry INTO hold
      FROM holds h WHERE h.id = p_hold_id AND h.guild_id = p_guild_id FOR UPDATE;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('refused', 'hold_not_found');
    ELSIF NOT hold.kind = ANY(p_kinds) THEN
      RETURN jsonb_build_object('refused', 'forbidden', 'kind', hold.kind);
    END IF;
    IF p_action = 'capture' THEN
      IF hold.status = 'held' AND NOT hold.past_expiry THEN
        PERFORM ledger_settle_hold(p_hold_id, 'captured');
        RETURN jsonb_build_object('replayed', false, 'hold', ledger_hold_json(p_hold_id));
      ELSIF hold.status = 'captured' THEN
        RETURN jsonb_build_object('replayed', true, 'hold', ledger_hold_json(p_hold_id));
      ELSIF hold.status = 'released' THEN
        RETURN jsonb_build_object('refused', 'hold_released');
      ELSIF hold.status = 'held' THEN
        PERFORM ledger_settle_hold(p_hold_id, 'expired');
      END IF;
      RETURN jsonb_build_object('refused', 'hold_expired', 'expires_at', hold.expires_at);
    END IF;
    IF hold.status = 'held' THEN
      PERFORM ledger_settle_hold(p_hold_id, 'released');
      RETURN jsonb_build_object('replayed', false, 'hold', ledger_hold_json(p_hold_id));
    ELSIF hold.status = 'captured' THEN
      RETURN jsonb_build_object('refused', 'hold_captured');
    END IF;
    RETURN jsonb_build_object('replayed', true, 'hold', ledger_hold_json(p_hold_id));
  END
  $$`,

  // The sweeper's step: release one expired hold unless a capture or release holds it right now.
  `CREATE FUNCTION ledger_expire_hold(p_hold_id bigint) RETURNS boolean LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan AS $$
  DECLARE
    hold record;
  BEGIN
    SELECT h.status, h.expires_at <= clock_timestamp() AS past_expiry INTO hold
      FROM holds h WHERE h.id = p_hold_id FOR UPDATE SKIP LOCKED;
    IF NOT FOUND OR hold.status <> 'held' OR NOT hold.past_expiry THEN
      RETURN false;
    END IF;
    PERFORM ledger_settle_hold(p_hold_id, 'expired');
    RETURN true;
  END
  $$`,

  // As for PostingFunctions: balance_api only, and as its caller.
  `REVOKE EXECUTE ON FUNCTION ledger_hold_json(bigint),
    ledger_hold_replay(varchar, char),
    ledger_hold(bigint, bigint, varchar, bigint, varchar, varchar, integer, varchar, char),
    ledger_key_hash(varchar),
    ledger_settle_hold(bigint, varchar),
    ledger_resolve_hold(bigint, bigint, varchar, varchar[]),
    ledger_expire_hold(bigint) FROM PUBLIC`,
  `GRANT EXECUTE ON FUNCTION ledger_hold_json(bigint),
    ledger_hold_replay(varchar, char),
    ledger_hold(bigint, bigint, varchar, bigint, varchar, varchar, integer, varchar, char),
    ledger_key_hash(varchar),
    ledger_settle_hold(bigint, varchar),
    ledger_resolve_hold(bigint, bigint, varchar, varchar[]),
    ledger_expire_hold(bigint) TO balance_api`,
];

const DOWN: readonly string[] = [
  `DROP FUNCTION ledger_expire_hold(bigint)`,
  `DROP FUNCTION ledger_resolve_hold(bigint, bigint, varchar, varchar[])`,
  `DROP FUNCTION ledger_settle_hold(bigint, varchar)`,
  `DROP FUNCTION ledger_key_hash(varchar)`,
  `DROP FUNCTION ledger_hold(bigint, bigint, varchar, bigint, varchar, varchar, integer, varchar, char)`,
  `DROP FUNCTION ledger_hold_replay(varchar, char)`,
  `DROP FUNCTION ledger_hold_json(bigint)`,
];
