//! The TEDS intake elements asked at admission (issue 17): substances with route, frequency
//! and age at first use, prior treatment episodes, referral source, self-help attendance in
//! the 30 days before. One JSON text column on the episode; episodes admitted before have
//! none, and their extract rows say "missing" (-9).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Episodes {
    Table,
    Intake,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Episodes::Table)
                    .add_column(ColumnDef::new(Episodes::Intake).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Episodes::Table).drop_column(Episodes::Intake).to_owned()).await
    }
}
