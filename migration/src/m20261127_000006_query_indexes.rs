//! Indexes for the follow-up report's 7- and 30-day measures, so they read only the entries
//! into aftercare in the report's range and probe each one's contacts, instead of walking
//! every episode and scanning all follow-ups per entry.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StageChanges {
    Table,
    ToStage,
    At,
}

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    EpisodeId,
    Status,
    ContactedAt,
}

const STAGE_CHANGES_ENTERED: &str = "ix_stage_changes_entered";
const FOLLOW_UPS_EPISODE_CONTACT: &str = "ix_follow_ups_episode_contact";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Entries into a stage by time: `to_stage = 'AFTERCARE' AND at >= … AND at < …`.
        manager
            .create_index(
                Index::create()
                    .name(STAGE_CHANGES_ENTERED)
                    .table(StageChanges::Table)
                    .col(StageChanges::ToStage)
                    .col(StageChanges::At)
                    .to_owned(),
            )
            .await?;
        // An episode's contacts by status and time: "a COMPLETED contact within N days".
        manager
            .create_index(
                Index::create()
                    .name(FOLLOW_UPS_EPISODE_CONTACT)
                    .table(FollowUps::Table)
                    .col(FollowUps::EpisodeId)
                    .col(FollowUps::Status)
                    .col(FollowUps::ContactedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(FOLLOW_UPS_EPISODE_CONTACT).table(FollowUps::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name(STAGE_CHANGES_ENTERED).table(StageChanges::Table).to_owned()).await
    }
}
