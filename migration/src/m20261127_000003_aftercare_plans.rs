//! Aftercare plans (one per episode, versioned) and the weekly attendance goal of a referral.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AftercarePlans {
    Table,
    Id,
    Version,
    EpisodeId,
    ClientId,
    Notes,
    EffectiveAt,
    UpdatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Referrals {
    Table,
    WeeklyGoal,
    ReferredAt,
}

#[derive(DeriveIden)]
enum Episodes {
    Table,
    Id,
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
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AftercarePlans::Table)
                    .col(ColumnDef::new(AftercarePlans::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(AftercarePlans::Version).integer().not_null())
                    .col(ColumnDef::new(AftercarePlans::EpisodeId).uuid().not_null())
                    .col(ColumnDef::new(AftercarePlans::ClientId).uuid().not_null())
                    .col(ColumnDef::new(AftercarePlans::Notes).text().not_null())
                    .col(ColumnDef::new(AftercarePlans::EffectiveAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(AftercarePlans::UpdatedBy).uuid().not_null())
                    .col(ColumnDef::new(AftercarePlans::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(AftercarePlans::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(AftercarePlans::Table, AftercarePlans::EpisodeId)
                            .to(Episodes::Table, Episodes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AftercarePlans::Table, AftercarePlans::ClientId)
                            .to(Clients::Table, Clients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AftercarePlans::Table, AftercarePlans::UpdatedBy)
                            .to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_aftercare_plans_episode")
                    .table(AftercarePlans::Table)
                    .col(AftercarePlans::EpisodeId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Referrals::Table)
                    .add_column(ColumnDef::new(Referrals::WeeklyGoal).integer().null())
                    .to_owned(),
            )
            .await?;
        // When the referral went out (became REFERRED): attendance is expected from then on.
        manager
            .alter_table(
                Table::alter()
                    .table(Referrals::Table)
                    .add_column(ColumnDef::new(Referrals::ReferredAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Referrals::Table).drop_column(Referrals::ReferredAt).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Referrals::Table).drop_column(Referrals::WeeklyGoal).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(AftercarePlans::Table).to_owned()).await
    }
}
