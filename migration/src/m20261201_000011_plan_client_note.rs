//! The aftercare plan's note for the client (issue 16), apart from the counselor's internal
//! notes, which never leave the record: only this one is printed on the sheet the client
//! takes home. Existing plans start with an empty note for the client.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AftercarePlans {
    Table,
    ClientNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AftercarePlans::Table)
                    .add_column(ColumnDef::new(AftercarePlans::ClientNote).text().not_null().default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(AftercarePlans::Table).drop_column(AftercarePlans::ClientNote).to_owned())
            .await
    }
}
