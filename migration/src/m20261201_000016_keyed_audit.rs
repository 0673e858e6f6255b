//! A keyed audit trail (issue 18). The SHA-256 chain proves the rows fit together, but
//! anyone who can write the table can rewrite a row and recompute every later hash. From
//! now on every event also carries `mac`, an HMAC-SHA256 of its hash under a key the
//! application holds (`CONTINUUM_AUDIT_KEY`) and the database does not, and each chain's
//! head is sealed with the same key: `keyed_from` (the first keyed event of the chain) and
//! `mac` over (chain, seq, hash, keyed_from). Events written before keep their plain hashes;
//! `continuum audit verify` says where each chain's keyed part begins.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Mac,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    KeyedFrom,
    Mac,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too: its statements run on one connection and all or
    /// none of them apply (a pool of connections otherwise spreads them out, and a later
    /// statement can see the table as it was before an earlier one).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(ColumnDef::new(AuditEvents::Mac).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        for column in [
            ColumnDef::new(AuditHead::KeyedFrom).big_integer().null().to_owned(),
            ColumnDef::new(AuditHead::Mac).string_len(64).null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(AuditHead::Table).add_column(column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [AuditHead::KeyedFrom, AuditHead::Mac] {
            manager.alter_table(Table::alter().table(AuditHead::Table).drop_column(column).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table(AuditEvents::Table).drop_column(AuditEvents::Mac).to_owned()).await
    }
}
