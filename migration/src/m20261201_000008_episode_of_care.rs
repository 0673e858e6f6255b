//! The episode of care as a clinician runs it (issue 15): where a discharged client went and
//! which episode a readmission follows; why each follow-up contact exists and the outreach
//! attempts made for it; one attendance per referral and day. Existing rows are carried
//! forward: contacts from the aftercare schedule become AFTERCARE contacts, duplicate
//! attendance on one day is folded into the first record, and AFTERCARE episodes at L0_5
//! (early intervention, not continuing care) lose the level with a line in their history.

use sea_orm::prelude::Uuid;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Episodes {
    Table,
    Id,
    Stage,
    LevelOfCare,
    CreatedBy,
    PreviousEpisodeId,
    DischargedTo,
}

#[derive(DeriveIden)]
enum StageChanges {
    Table,
    Id,
    EpisodeId,
    FromStage,
    ToStage,
    LevelOfCare,
    At,
    ByStaffId,
    Reason,
}

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    Id,
    Kind,
    ScheduleDays,
}

#[derive(DeriveIden)]
enum FollowUpAttempts {
    Table,
    Id,
    FollowUpId,
    ClientId,
    AttemptedAt,
    Method,
    Result,
    Note,
    RecordedBy,
    CreatedAt,
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

#[derive(DeriveIden)]
enum Attendance {
    Table,
    Id,
    ReferralId,
    AttendedOn,
}

const ATTENDANCE_ONE_PER_DAY: &str = "ux_attendance_referral_day";
const ATTEMPTS_FOLLOW_UP: &str = "ix_follow_up_attempts_follow_up";
const EPISODES_PREVIOUS: &str = "ix_episodes_previous";

async fn add_column(manager: &SchemaManager<'_>, table: impl IntoIden, column: ColumnDef) -> Result<(), DbErr> {
    let mut column = column;
    manager.alter_table(Table::alter().table(table).add_column(&mut column).to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(manager, Episodes::Table, ColumnDef::new(Episodes::PreviousEpisodeId).uuid().null().to_owned())
            .await?;
        add_column(manager, Episodes::Table, ColumnDef::new(Episodes::DischargedTo).string_len(24).null().to_owned())
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(EPISODES_PREVIOUS)
                    .table(Episodes::Table)
                    .col(Episodes::PreviousEpisodeId)
                    .to_owned(),
            )
            .await?;

        add_column(
            manager,
            FollowUps::Table,
            ColumnDef::new(FollowUps::Kind).string_len(16).not_null().default("MANUAL").to_owned(),
        )
        .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(FollowUps::Table)
                    .value(FollowUps::Kind, "AFTERCARE")
                    .and_where(Expr::col(FollowUps::ScheduleDays).is_not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FollowUpAttempts::Table)
                    .col(ColumnDef::new(FollowUpAttempts::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(FollowUpAttempts::FollowUpId).uuid().not_null())
                    .col(ColumnDef::new(FollowUpAttempts::ClientId).uuid().not_null())
                    .col(ColumnDef::new(FollowUpAttempts::AttemptedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(FollowUpAttempts::Method).string_len(16).not_null())
                    .col(ColumnDef::new(FollowUpAttempts::Result).string_len(16).not_null())
                    .col(ColumnDef::new(FollowUpAttempts::Note).text().null())
                    .col(ColumnDef::new(FollowUpAttempts::RecordedBy).uuid().not_null())
                    .col(ColumnDef::new(FollowUpAttempts::CreatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(FollowUpAttempts::Table, FollowUpAttempts::FollowUpId)
                            .to(FollowUps::Table, FollowUps::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FollowUpAttempts::Table, FollowUpAttempts::ClientId)
                            .to(Clients::Table, Clients::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FollowUpAttempts::Table, FollowUpAttempts::RecordedBy)
                            .to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(ATTEMPTS_FOLLOW_UP)
                    .table(FollowUpAttempts::Table)
                    .col(FollowUpAttempts::FollowUpId)
                    .col(FollowUpAttempts::AttemptedAt)
                    .to_owned(),
            )
            .await?;

        // One attendance per referral and day: keep the first record of each day.
        let earlier = Alias::new("earlier");
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Attendance::Table)
                    .and_where(Expr::exists(
                        Query::select()
                            .expr(Expr::val(1))
                            .from_as(Attendance::Table, earlier.clone())
                            .and_where(
                                Expr::col((earlier.clone(), Attendance::ReferralId))
                                    .equals((Attendance::Table, Attendance::ReferralId)),
                            )
                            .and_where(
                                Expr::col((earlier.clone(), Attendance::AttendedOn))
                                    .equals((Attendance::Table, Attendance::AttendedOn)),
                            )
                            .and_where(
                                Expr::col((earlier, Attendance::Id)).lt(Expr::col((Attendance::Table, Attendance::Id))),
                            )
                            .to_owned(),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(ATTENDANCE_ONE_PER_DAY)
                    .table(Attendance::Table)
                    .col(Attendance::ReferralId)
                    .col(Attendance::AttendedOn)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // AFTERCARE at L0_5 becomes AFTERCARE with no level, and the history says so.
        let db = manager.get_connection();
        let rows = db
            .query_all(
                &Query::select()
                    .column(Episodes::Id)
                    .column(Episodes::CreatedBy)
                    .from(Episodes::Table)
                    .and_where(Expr::col(Episodes::Stage).eq("AFTERCARE"))
                    .and_where(Expr::col(Episodes::LevelOfCare).eq("L0_5"))
                    .to_owned(),
            )
            .await?;
        let now = sea_orm::prelude::DateTimeUtc::from(std::time::SystemTime::now());
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let by: Uuid = row.try_get("", "created_by")?;
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(StageChanges::Table)
                        .columns([
                            StageChanges::Id,
                            StageChanges::EpisodeId,
                            StageChanges::FromStage,
                            StageChanges::ToStage,
                            StageChanges::LevelOfCare,
                            StageChanges::At,
                            StageChanges::ByStaffId,
                            StageChanges::Reason,
                        ])
                        .values_panic([
                            Uuid::now_v7().into(),
                            id.into(),
                            "AFTERCARE".into(),
                            "AFTERCARE".into(),
                            Option::<String>::None.into(),
                            now.into(),
                            by.into(),
                            "level L0_5 (early intervention) retired from continuing care".into(),
                        ])
                        .to_owned(),
                )
                .await?;
            manager
                .exec_stmt(
                    Query::update()
                        .table(Episodes::Table)
                        .value(Episodes::LevelOfCare, Option::<String>::None)
                        .and_where(Expr::col(Episodes::Id).eq(id))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(ATTENDANCE_ONE_PER_DAY).table(Attendance::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(FollowUpAttempts::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(FollowUps::Table).drop_column(FollowUps::Kind).to_owned()).await?;
        manager.drop_index(Index::drop().name(EPISODES_PREVIOUS).table(Episodes::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Episodes::Table).drop_column(Episodes::DischargedTo).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Episodes::Table).drop_column(Episodes::PreviousEpisodeId).to_owned())
            .await
    }
}
