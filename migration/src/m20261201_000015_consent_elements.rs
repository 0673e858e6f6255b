//! The 42 CFR § 2.31 elements on every consent (issue 18), as amended in 2024 (89 FR 12472):
//! who may disclose, the recipient or (for treatment, payment and health care operations) a
//! general designation, purposes from a controlled list, expiry by date, event or none, the
//! right to revoke, the signer, their capacity and how they signed. Disclosures record the
//! purpose they were made for.
//!
//! Consents recorded before named none of the signer, the capacity, the signature method,
//! the controlled purposes or the right-to-revoke statement, so none of them has every
//! element: each is kept (its history and its disclosures stand) and marked as needing
//! re-consent, which the worklist shows and which stops disclosures under it until a new
//! consent is recorded. Their date of expiry is kept.
//!
//! `expires_on` becomes optional (an event-based or TPO consent has none): added anew,
//! copied, and the old NOT NULL column dropped — the one way that works on SQLite too.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Consents {
    Table,
    ExpiresOn,
    ExpiresOnDate,
    DisclosingProgram,
    RecipientKind,
    Purposes,
    Expiry,
    ExpiryEvent,
    ExpiryEventRecordedAt,
    SignerName,
    SignerCapacity,
    SignatureMethod,
    RightToRevoke,
    NeedsReconsent,
}

#[derive(DeriveIden)]
enum Disclosures {
    Table,
    PurposeCode,
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
        let columns = [
            ColumnDef::new(Consents::DisclosingProgram).text().not_null().default("").to_owned(),
            ColumnDef::new(Consents::RecipientKind).string_len(24).not_null().default("NAMED").to_owned(),
            ColumnDef::new(Consents::Purposes).text().not_null().default("").to_owned(),
            ColumnDef::new(Consents::Expiry).string_len(16).not_null().default("ON_DATE").to_owned(),
            ColumnDef::new(Consents::ExpiryEvent).text().null().to_owned(),
            ColumnDef::new(Consents::ExpiryEventRecordedAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Consents::SignerName).text().not_null().default("").to_owned(),
            ColumnDef::new(Consents::SignerCapacity).string_len(32).not_null().default("").to_owned(),
            ColumnDef::new(Consents::SignatureMethod).string_len(32).not_null().default("").to_owned(),
            ColumnDef::new(Consents::RightToRevoke).text().not_null().default("").to_owned(),
            ColumnDef::new(Consents::NeedsReconsent).boolean().not_null().default(false).to_owned(),
            ColumnDef::new(Consents::ExpiresOnDate).date().null().to_owned(),
        ];
        for column in columns {
            manager.alter_table(Table::alter().table(Consents::Table).add_column(column).to_owned()).await?;
        }
        manager
            .exec_stmt(
                Query::update()
                    .table(Consents::Table)
                    .value(Consents::ExpiresOnDate, Expr::col(Consents::ExpiresOn))
                    .value(Consents::NeedsReconsent, true)
                    .to_owned(),
            )
            .await?;
        manager.alter_table(Table::alter().table(Consents::Table).drop_column(Consents::ExpiresOn).to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Consents::Table)
                    .rename_column(Consents::ExpiresOnDate, Consents::ExpiresOn)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Disclosures::Table)
                    .add_column(ColumnDef::new(Disclosures::PurposeCode).string_len(32).not_null().default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Disclosures::Table).drop_column(Disclosures::PurposeCode).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Consents::Table)
                    .rename_column(Consents::ExpiresOn, Consents::ExpiresOnDate)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Consents::Table)
                    .add_column(ColumnDef::new(Consents::ExpiresOn).date().not_null().default("2000-01-01"))
                    .to_owned(),
            )
            .await?;
        // Consents without a date expired on the day they were signed: the old schema knew
        // no other end.
        manager
            .exec_stmt(
                Query::update()
                    .table(Consents::Table)
                    .value(Consents::ExpiresOn, Expr::cust("COALESCE(expires_on_date, signed_on)"))
                    .to_owned(),
            )
            .await?;
        for column in [
            Consents::DisclosingProgram,
            Consents::RecipientKind,
            Consents::Purposes,
            Consents::Expiry,
            Consents::ExpiryEvent,
            Consents::ExpiryEventRecordedAt,
            Consents::SignerName,
            Consents::SignerCapacity,
            Consents::SignatureMethod,
            Consents::RightToRevoke,
            Consents::NeedsReconsent,
            Consents::ExpiresOnDate,
        ] {
            manager.alter_table(Table::alter().table(Consents::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
