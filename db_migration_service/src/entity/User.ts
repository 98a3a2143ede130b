import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from "typeorm";

@Entity({ name: "users" })
@Unique("uq_users_discord_id", ["discordId"])
@Check("ck_users_discord_id_positive", "discord_id > 0")
@Check("ck_users_forgotten_xor_discord_id", "(forgotten_at IS NULL) = (discord_id IS NOT NULL)")
export class User {
  @PrimaryGeneratedColumn("identity", {
    type: "bigint",
    generatedIdentity: "BY DEFAULT",
    primaryKeyConstraintName: "pk_users",
  })
  id!: string;

  @Column({ name: "discord_id", type: "bigint", nullable: true })
  discordId!: string | null;

  @Column({ name: "display_name", type: "varchar", length: 100, nullable: true })
  displayName!: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt!: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt!: Date;

  @Column({ name: "forgotten_at", type: "timestamptz", nullable: true })
  forgottenAt!: Date | null;
}
