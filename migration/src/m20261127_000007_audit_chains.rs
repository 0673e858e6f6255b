//! The audit trail as parallel hash chains. One chain made every audited change in the
//! system wait for the one before it to commit (its head row is locked from the append to
//! the commit); with several chains, changes to different clients append side by side.
//! Each chain starts from its own genesis value (chain 1 keeps the original all-zero one),
//! so an event moved from one chain to another breaks both.

use sea_orm_migration::prelude::*;

/// How many chains there are (the app uses this same constant).
pub const AUDIT_CHAINS: i32 = 32;

/// The value the first event of a chain points back at.
pub fn genesis(chain: i32) -> String {
    format!("{:064x}", chain - 1)
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Chain,
    Seq,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Events written so far all belong to chain 1.
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(ColumnDef::new(AuditEvents::Chain).integer().not_null().default(1))
                    .to_owned(),
            )
            .await?;
        manager.drop_index(Index::drop().name("ux_audit_events_seq").table(AuditEvents::Table).to_owned()).await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_audit_events_chain_seq")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::Chain)
                    .col(AuditEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let mut heads = Query::insert();
        heads.into_table(AuditHead::Table).columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash]);
        for chain in 2..=AUDIT_CHAINS {
            heads.values_panic([chain.into(), 0i64.into(), genesis(chain).into()]);
        }
        manager.exec_stmt(heads).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete().from_table(AuditHead::Table).and_where(Expr::col(AuditHead::Id).gt(1)).to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name("ux_audit_events_chain_seq").table(AuditEvents::Table).to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_audit_events_seq")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table(AuditEvents::Table).drop_column(AuditEvents::Chain).to_owned())
            .await?;
        Ok(())
    }
}
