//! Every intake gets its SAMHSA GPRA 6-month follow-up interview (issue 17): a follow-up of
//! kind GPRA due 6 months after admission. Episodes admitted before this migration get theirs
//! here, except those closed as DECEASED. Their due date is counted from the UTC date of the
//! admission (the migration does not know the program's time zone; new admissions use it).

use sea_orm::prelude::{DateTimeUtc, Uuid};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Episodes {
    Table,
    Id,
    ClientId,
    AdmittedAt,
    DischargeReason,
    CreatedBy,
}

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    Id,
    Version,
    ClientId,
    EpisodeId,
    DueOn,
    Kind,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let rows = db
            .query_all(
                &Query::select()
                    .columns([Episodes::Id, Episodes::ClientId, Episodes::AdmittedAt, Episodes::CreatedBy])
                    .from(Episodes::Table)
                    .cond_where(
                        Cond::any()
                            .add(Expr::col(Episodes::DischargeReason).is_null())
                            .add(Expr::col(Episodes::DischargeReason).ne("DECEASED")),
                    )
                    .to_owned(),
            )
            .await?;
        let now = DateTimeUtc::from(std::time::SystemTime::now());
        for row in rows {
            let episode: Uuid = row.try_get("", "id")?;
            let client: Uuid = row.try_get("", "client_id")?;
            let admitted: DateTimeUtc = row.try_get("", "admitted_at")?;
            let by: Uuid = row.try_get("", "created_by")?;
            let Some(due) = admitted.date_naive().checked_add_months(chrono::Months::new(6)) else { continue };
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(FollowUps::Table)
                        .columns([
                            FollowUps::Id,
                            FollowUps::Version,
                            FollowUps::ClientId,
                            FollowUps::EpisodeId,
                            FollowUps::DueOn,
                            FollowUps::Kind,
                            FollowUps::Status,
                            FollowUps::CreatedBy,
                            FollowUps::CreatedAt,
                            FollowUps::UpdatedAt,
                        ])
                        .values_panic([
                            Uuid::now_v7().into(),
                            1.into(),
                            client.into(),
                            episode.into(),
                            due.into(),
                            "GPRA".into(),
                            "SCHEDULED".into(),
                            by.into(),
                            now.into(),
                            now.into(),
                        ])
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(FollowUps::Table)
                    .and_where(Expr::col(FollowUps::Kind).eq("GPRA"))
                    .to_owned(),
            )
            .await
    }
}
