//! The client's locator (issue 16): how the program reaches them after discharge, one row
//! per client. Phone numbers, the postal address and the emergency contact are stored as
//! JSON text (checked and normalised before they are written: `domain::locator`); they are
//! only ever read whole, with the client.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClientLocators {
    Table,
    ClientId,
    Version,
    Phones,
    Email,
    Address,
    EmergencyContact,
    PreferredMethod,
    PreferredTimes,
    ConsentToContact,
    ConsentRecordedAt,
    UpdatedBy,
    UpdatedAt,
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
            .create_table(
                Table::create()
                    .table(ClientLocators::Table)
                    .col(ColumnDef::new(ClientLocators::ClientId).uuid().not_null().primary_key())
                    .col(ColumnDef::new(ClientLocators::Version).integer().not_null())
                    .col(ColumnDef::new(ClientLocators::Phones).text().not_null())
                    .col(ColumnDef::new(ClientLocators::Email).text().null())
                    .col(ColumnDef::new(ClientLocators::Address).text().null())
                    .col(ColumnDef::new(ClientLocators::EmergencyContact).text().null())
                    .col(ColumnDef::new(ClientLocators::PreferredMethod).string_len(16).null())
                    .col(ColumnDef::new(ClientLocators::PreferredTimes).text().null())
                    .col(ColumnDef::new(ClientLocators::ConsentToContact).boolean().not_null())
                    .col(ColumnDef::new(ClientLocators::ConsentRecordedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(ClientLocators::UpdatedBy).uuid().not_null())
                    .col(ColumnDef::new(ClientLocators::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClientLocators::Table, ClientLocators::ClientId)
                            .to(Clients::Table, Clients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClientLocators::Table, ClientLocators::UpdatedBy)
                            .to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ClientLocators::Table).to_owned()).await
    }
}
