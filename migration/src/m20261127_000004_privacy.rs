//! Privacy: the append-only, hash-chained audit trail (triggers refuse UPDATE and DELETE on
//! both databases), 42 CFR Part 2 consents and disclosures, and emergency-access grants.

use sea_orm::DatabaseBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    Seq,
    At,
    StaffId,
    StaffRole,
    Action,
    Field,
    ClientId,
    Outcome,
    RequestId,
    Emergency,
    Detail,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    ClientId,
    Recipient,
    RecipientNormalized,
    Purpose,
    Categories,
    SignedOn,
    ExpiresOn,
    RevokedAt,
    RevokedBy,
    RevokeReason,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Disclosures {
    Table,
    Id,
    ClientId,
    ConsentId,
    Recipient,
    Purpose,
    Categories,
    Content,
    Notice,
    DisclosedBy,
    DisclosedAt,
}

#[derive(DeriveIden)]
enum EmergencyGrants {
    Table,
    Id,
    StaffId,
    ClientId,
    Reason,
    GrantedAt,
    ExpiresAt,
    ReviewedAt,
    ReviewedBy,
    ReviewNote,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
}

/// The hash the chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(ColumnDef::new(AuditEvents::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(AuditEvents::Seq).big_integer().not_null())
                    .col(ColumnDef::new(AuditEvents::At).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AuditEvents::StaffId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::StaffRole).string_len(16).null())
                    .col(ColumnDef::new(AuditEvents::Action).string_len(64).not_null())
                    .col(ColumnDef::new(AuditEvents::Field).string_len(200).null())
                    .col(ColumnDef::new(AuditEvents::ClientId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::Outcome).string_len(16).not_null())
                    .col(ColumnDef::new(AuditEvents::RequestId).string_len(64).null())
                    .col(ColumnDef::new(AuditEvents::Emergency).boolean().not_null())
                    .col(ColumnDef::new(AuditEvents::Detail).string_len(500).null())
                    .col(ColumnDef::new(AuditEvents::PrevHash).string_len(64).not_null())
                    .col(ColumnDef::new(AuditEvents::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ux_audit_events_seq", vec![AuditEvents::Seq]),
            ("ix_audit_events_client", vec![AuditEvents::ClientId, AuditEvents::Seq]),
            ("ix_audit_events_staff", vec![AuditEvents::StaffId, AuditEvents::Seq]),
        ] {
            let mut index = Index::create().name(name).table(AuditEvents::Table).to_owned();
            for col in cols {
                index.col(col);
            }
            if name.starts_with("ux_") {
                index.unique();
            }
            manager.create_index(index).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .col(ColumnDef::new(AuditHead::Id).integer().not_null().primary_key())
                    .col(ColumnDef::new(AuditHead::Seq).big_integer().not_null())
                    .col(ColumnDef::new(AuditHead::Hash).string_len(64).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHead::Table)
                    .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                    .values_panic([1.into(), 0i64.into(), GENESIS.into()])
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events \
                     FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events \
                     FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events \
                     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
                )
                .await?;
            }
        }

        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(ColumnDef::new(Consents::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Consents::ClientId).uuid().not_null())
                    .col(ColumnDef::new(Consents::Recipient).string_len(200).not_null())
                    .col(ColumnDef::new(Consents::RecipientNormalized).string_len(200).not_null())
                    .col(ColumnDef::new(Consents::Purpose).string_len(1000).not_null())
                    .col(ColumnDef::new(Consents::Categories).string_len(200).not_null())
                    .col(ColumnDef::new(Consents::SignedOn).date().not_null())
                    .col(ColumnDef::new(Consents::ExpiresOn).date().not_null())
                    .col(ColumnDef::new(Consents::RevokedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Consents::RevokedBy).uuid().null())
                    .col(ColumnDef::new(Consents::RevokeReason).string_len(1000).null())
                    .col(ColumnDef::new(Consents::RecordedBy).uuid().not_null())
                    .col(ColumnDef::new(Consents::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create().from(Consents::Table, Consents::ClientId).to(Clients::Table, Clients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create().from(Consents::Table, Consents::RecordedBy).to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_consents_client").table(Consents::Table).col(Consents::ClientId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Disclosures::Table)
                    .col(ColumnDef::new(Disclosures::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Disclosures::ClientId).uuid().not_null())
                    .col(ColumnDef::new(Disclosures::ConsentId).uuid().not_null())
                    .col(ColumnDef::new(Disclosures::Recipient).string_len(200).not_null())
                    .col(ColumnDef::new(Disclosures::Purpose).string_len(1000).not_null())
                    .col(ColumnDef::new(Disclosures::Categories).string_len(200).not_null())
                    .col(ColumnDef::new(Disclosures::Content).text().not_null())
                    .col(ColumnDef::new(Disclosures::Notice).text().not_null())
                    .col(ColumnDef::new(Disclosures::DisclosedBy).uuid().not_null())
                    .col(ColumnDef::new(Disclosures::DisclosedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Disclosures::Table, Disclosures::ClientId)
                            .to(Clients::Table, Clients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Disclosures::Table, Disclosures::ConsentId)
                            .to(Consents::Table, Consents::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Disclosures::Table, Disclosures::DisclosedBy)
                            .to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_disclosures_client")
                    .table(Disclosures::Table)
                    .col(Disclosures::ClientId)
                    .col(Disclosures::DisclosedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EmergencyGrants::Table)
                    .col(ColumnDef::new(EmergencyGrants::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(EmergencyGrants::StaffId).uuid().not_null())
                    .col(ColumnDef::new(EmergencyGrants::ClientId).uuid().not_null())
                    .col(ColumnDef::new(EmergencyGrants::Reason).string_len(1000).not_null())
                    .col(ColumnDef::new(EmergencyGrants::GrantedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(EmergencyGrants::ExpiresAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(EmergencyGrants::ReviewedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(EmergencyGrants::ReviewedBy).uuid().null())
                    .col(ColumnDef::new(EmergencyGrants::ReviewNote).string_len(1000).null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmergencyGrants::Table, EmergencyGrants::StaffId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EmergencyGrants::Table, EmergencyGrants::ClientId)
                            .to(Clients::Table, Clients::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_emergency_grants_staff")
                    .table(EmergencyGrants::Table)
                    .col(EmergencyGrants::StaffId)
                    .col(EmergencyGrants::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            EmergencyGrants::Table.into_iden(),
            Disclosures::Table.into_iden(),
            Consents::Table.into_iden(),
            AuditHead::Table.into_iden(),
            AuditEvents::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP FUNCTION IF EXISTS audit_events_append_only()").await?;
        }
        Ok(())
    }
}
