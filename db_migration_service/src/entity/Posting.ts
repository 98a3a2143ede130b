import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
} from "typeorm";
import { Account } from "./Account";
import { LedgerTransaction } from "./LedgerTransaction";

// Append-only; each INSERT must balance per transaction (>= 2 rows summing to 0), enforced by triggers.
@Entity({ name: "postings" })
@Unique("uq_postings_transaction_account", ["transactionId", "accountId"])
@Check("ck_postings_amount_nonzero", "amount <> 0")
// (account_id, id DESC): TypeORM cannot express DESC, so the migration owns it.
@Index("ix_postings_account_statement", { synchronize: false })
export class Posting {
  @PrimaryGeneratedColumn("identity", {
    type: "bigint",
    generatedIdentity: "BY DEFAULT",
    primaryKeyConstraintName: "pk_postings",
  })
  id!: string;

  @Column({ name: "transaction_id", type: "bigint" })
  transactionId!: string;

  @ManyToOne(() => LedgerTransaction, (transaction) => transaction.postings, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn({ name: "transaction_id", foreignKeyConstraintName: "fk_postings_transaction_id" })
  transaction!: LedgerTransaction;

  @Column({ name: "account_id", type: "bigint" })
  accountId!: string;

  @ManyToOne(() => Account, { nullable: false, onDelete: "RESTRICT" })
  @JoinColumn({ name: "account_id", foreignKeyConstraintName: "fk_postings_account_id" })
  account!: Account;

  @Column({ type: "bigint" })
  amount!: string;

  @Column({ name: "balance_after", type: "bigint" })
  balanceAfter!: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;
}
