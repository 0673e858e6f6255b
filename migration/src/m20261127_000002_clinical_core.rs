//! Clients, treatment episodes and their stage history, the support-group directory
//! (seeded with the eight programs of the source text), referrals, attendance, follow-ups.

use sea_orm::prelude::Uuid;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    Version,
    FirstName,
    LastName,
    PreferredName,
    DateOfBirth,
    Gender,
    Substances,
    CoOccurringMentalHealth,
    PrefersSecular,
    Language,
    PrimaryCounselorId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Episodes {
    Table,
    Id,
    Version,
    ClientId,
    Stage,
    LevelOfCare,
    StageEnteredAt,
    AdmittedAt,
    DischargedAt,
    DischargeReason,
    DischargeNote,
    CreatedBy,
    UpdatedAt,
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
enum SupportGroups {
    Table,
    Id,
    Name,
    Abbreviation,
    TwelveStep,
    Audience,
    Description,
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Id,
    SupportGroupId,
    Name,
    Format,
    DayOfWeek,
    StartTime,
    DurationMinutes,
    TimeZone,
    Address,
    Url,
    Language,
    Types,
}

#[derive(DeriveIden)]
enum Referrals {
    Table,
    Id,
    Version,
    ClientId,
    EpisodeId,
    SupportGroupId,
    MeetingId,
    Status,
    StatusReason,
    StageAtReferral,
    ReferredBy,
    Note,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Attendance {
    Table,
    Id,
    ReferralId,
    AttendedOn,
    Verified,
    Note,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    Id,
    Version,
    ClientId,
    EpisodeId,
    DueOn,
    ScheduleDays,
    Status,
    Outcome,
    AttendingSupportGroup,
    ContactedAt,
    Note,
    RecordedBy,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

fn fk(from: (impl IntoIden, impl IntoIden), to: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).to_owned()
}

fn uuid(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).uuid().not_null().to_owned()
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().to_owned()
}

async fn index(manager: &SchemaManager<'_>, name: &str, table: impl IntoIden, cols: &[&str]) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(table).to_owned();
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    manager.create_index(stmt).await
}

/// The eight programs of the source text, in our own words.
const PROGRAMS: &[(u128, &str, &str, bool, &str, &str)] = &[
    (
        0x0192_0000_0000_7000_8000_0000_0000_0001,
        "Alcoholics Anonymous",
        "AA",
        true,
        "anyone with a desire to stop drinking",
        "The original 12-step fellowship. Members share their experience with drinking and recovery at free, \
         peer-led meetings and work the steps with a sponsor. The only requirement is a desire to stop drinking.",
    ),
    (
        0x0192_0000_0000_7000_8000_0000_0000_0002,
        "Narcotics Anonymous",
        "NA",
        true,
        "complete abstinence from all drugs",
        "A 12-step fellowship adapted from AA for people recovering from any drug, alcohol included. It asks \
         for complete abstinence and focuses on the disease of addiction rather than on one substance.",
    ),
    (
        0x0192_0000_0000_7000_8000_0000_0000_0003,
        "Cocaine Anonymous",
        "CA",
        true,
        "cocaine and all other mind-altering substances",
        "A 12-step fellowship for people recovering from cocaine and crack addiction, welcoming anyone who wants \
         to stop using cocaine and every other mind-altering substance.",
    ),
    (
        0x0192_0000_0000_7000_8000_0000_0000_0004,
        "Crystal Meth Anonymous",
        "CMA",
        true,
        "crystal meth",
        "A 12-step fellowship for people recovering from crystal meth addiction, with meetings in person and \
         online. The only requirement is a desire to stop using.",
    ),
    (
        0x0192_0000_0000_7000_8000_0000_0000_0005,
        "Dual Recovery Anonymous",
        "DRA",
        true,
        "chemical dependency together with a psychiatric illness",
        "A 12-step fellowship for people living with both an addiction and an emotional or psychiatric illness. \
         Members support each other in recovering from both, including taking prescribed medication.",
    ),
    (
        0x0192_0000_0000_7000_8000_0000_0000_0006,
        "SMART Recovery",
        "SMART",
        false,
        "abstinence through self-management and practical tools",
        "A science-based alternative to 12-step programs. Trained facilitators teach cognitive-behavioural tools \
         to build motivation, cope with urges and change self-defeating thoughts and behaviour.",
    ),
    (
        0x0192_0000_0000_7000_8000_0000_0000_0007,
        "Secular Organizations for Sobriety",
        "SOS",
        false,
        "sobriety through rational thought and personal responsibility",
        "A secular, non-12-step network of self-help groups. It treats sobriety as a separate priority of each \
         member's life and credits recovery to personal responsibility rather than a higher power.",
    ),
    (
        0x0192_0000_0000_7000_8000_0000_0000_0008,
        "Women for Sobriety",
        "WFS",
        false,
        "women",
        "A peer-support program for women overcoming alcohol and drug use, built on positive thinking, \
         self-worth and emotional growth, with meetings open to women only.",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .col(uuid(Clients::Id).primary_key())
                    .col(ColumnDef::new(Clients::Version).integer().not_null())
                    .col(ColumnDef::new(Clients::FirstName).string_len(100).not_null())
                    .col(ColumnDef::new(Clients::LastName).string_len(100).not_null())
                    .col(ColumnDef::new(Clients::PreferredName).string_len(100).null())
                    .col(ColumnDef::new(Clients::DateOfBirth).date().not_null())
                    .col(ColumnDef::new(Clients::Gender).string_len(16).null())
                    .col(ColumnDef::new(Clients::Substances).string_len(200).not_null())
                    .col(ColumnDef::new(Clients::CoOccurringMentalHealth).boolean().not_null())
                    .col(ColumnDef::new(Clients::PrefersSecular).boolean().not_null())
                    .col(ColumnDef::new(Clients::Language).string_len(35).null())
                    .col(uuid(Clients::PrimaryCounselorId))
                    .col(uuid(Clients::CreatedBy))
                    .col(ts(Clients::CreatedAt))
                    .col(ts(Clients::UpdatedAt))
                    .foreign_key(&mut fk((Clients::Table, Clients::PrimaryCounselorId), (Staff::Table, Staff::Id)))
                    .foreign_key(&mut fk((Clients::Table, Clients::CreatedBy), (Staff::Table, Staff::Id)))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_clients_counselor", Clients::Table, &["primary_counselor_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table(Episodes::Table)
                    .col(uuid(Episodes::Id).primary_key())
                    .col(ColumnDef::new(Episodes::Version).integer().not_null())
                    .col(uuid(Episodes::ClientId))
                    .col(ColumnDef::new(Episodes::Stage).string_len(16).not_null())
                    .col(ColumnDef::new(Episodes::LevelOfCare).string_len(8).null())
                    .col(ts(Episodes::StageEnteredAt))
                    .col(ts(Episodes::AdmittedAt))
                    .col(ColumnDef::new(Episodes::DischargedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Episodes::DischargeReason).string_len(32).null())
                    .col(ColumnDef::new(Episodes::DischargeNote).text().null())
                    .col(uuid(Episodes::CreatedBy))
                    .col(ts(Episodes::UpdatedAt))
                    .foreign_key(&mut fk((Episodes::Table, Episodes::ClientId), (Clients::Table, Clients::Id)))
                    .foreign_key(&mut fk((Episodes::Table, Episodes::CreatedBy), (Staff::Table, Staff::Id)))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_episodes_client", Episodes::Table, &["client_id"]).await?;
        // One open episode per client, enforced by the database too.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_episodes_one_open ON episodes (client_id) WHERE discharged_at IS NULL",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StageChanges::Table)
                    .col(uuid(StageChanges::Id).primary_key())
                    .col(uuid(StageChanges::EpisodeId))
                    .col(ColumnDef::new(StageChanges::FromStage).string_len(16).null())
                    .col(ColumnDef::new(StageChanges::ToStage).string_len(16).not_null())
                    .col(ColumnDef::new(StageChanges::LevelOfCare).string_len(8).null())
                    .col(ts(StageChanges::At))
                    .col(uuid(StageChanges::ByStaffId))
                    .col(ColumnDef::new(StageChanges::Reason).text().null())
                    .foreign_key(&mut fk(
                        (StageChanges::Table, StageChanges::EpisodeId),
                        (Episodes::Table, Episodes::Id),
                    ))
                    .foreign_key(&mut fk((StageChanges::Table, StageChanges::ByStaffId), (Staff::Table, Staff::Id)))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_stage_changes_episode", StageChanges::Table, &["episode_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table(SupportGroups::Table)
                    .col(uuid(SupportGroups::Id).primary_key())
                    .col(ColumnDef::new(SupportGroups::Name).string_len(200).not_null())
                    .col(ColumnDef::new(SupportGroups::Abbreviation).string_len(16).not_null())
                    .col(ColumnDef::new(SupportGroups::TwelveStep).boolean().not_null())
                    .col(ColumnDef::new(SupportGroups::Audience).string_len(500).not_null())
                    .col(ColumnDef::new(SupportGroups::Description).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_support_groups_abbreviation")
                    .table(SupportGroups::Table)
                    .col(SupportGroups::Abbreviation)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Meetings::Table)
                    .col(uuid(Meetings::Id).primary_key())
                    .col(uuid(Meetings::SupportGroupId))
                    .col(ColumnDef::new(Meetings::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Meetings::Format).string_len(16).not_null())
                    .col(ColumnDef::new(Meetings::DayOfWeek).integer().not_null())
                    .col(ColumnDef::new(Meetings::StartTime).time().not_null())
                    .col(ColumnDef::new(Meetings::DurationMinutes).integer().not_null())
                    .col(ColumnDef::new(Meetings::TimeZone).string_len(64).not_null())
                    .col(ColumnDef::new(Meetings::Address).string_len(500).null())
                    .col(ColumnDef::new(Meetings::Url).string_len(500).null())
                    .col(ColumnDef::new(Meetings::Language).string_len(35).not_null())
                    .col(ColumnDef::new(Meetings::Types).string_len(200).not_null())
                    .foreign_key(&mut fk(
                        (Meetings::Table, Meetings::SupportGroupId),
                        (SupportGroups::Table, SupportGroups::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_meetings_group", Meetings::Table, &["support_group_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table(Referrals::Table)
                    .col(uuid(Referrals::Id).primary_key())
                    .col(ColumnDef::new(Referrals::Version).integer().not_null())
                    .col(uuid(Referrals::ClientId))
                    .col(uuid(Referrals::EpisodeId))
                    .col(uuid(Referrals::SupportGroupId))
                    .col(ColumnDef::new(Referrals::MeetingId).uuid().null())
                    .col(ColumnDef::new(Referrals::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Referrals::StatusReason).text().null())
                    .col(ColumnDef::new(Referrals::StageAtReferral).string_len(16).not_null())
                    .col(uuid(Referrals::ReferredBy))
                    .col(ColumnDef::new(Referrals::Note).text().null())
                    .col(ts(Referrals::CreatedAt))
                    .col(ts(Referrals::UpdatedAt))
                    .foreign_key(&mut fk((Referrals::Table, Referrals::ClientId), (Clients::Table, Clients::Id)))
                    .foreign_key(&mut fk((Referrals::Table, Referrals::EpisodeId), (Episodes::Table, Episodes::Id)))
                    .foreign_key(&mut fk(
                        (Referrals::Table, Referrals::SupportGroupId),
                        (SupportGroups::Table, SupportGroups::Id),
                    ))
                    .foreign_key(&mut fk((Referrals::Table, Referrals::MeetingId), (Meetings::Table, Meetings::Id)))
                    .foreign_key(&mut fk((Referrals::Table, Referrals::ReferredBy), (Staff::Table, Staff::Id)))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_referrals_client", Referrals::Table, &["client_id"]).await?;
        index(manager, "ix_referrals_group", Referrals::Table, &["support_group_id", "created_at"]).await?;
        // One open referral per client and group.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_referrals_one_open ON referrals (client_id, support_group_id) \
                 WHERE status IN ('PLANNED', 'REFERRED', 'ENGAGED')",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Attendance::Table)
                    .col(uuid(Attendance::Id).primary_key())
                    .col(uuid(Attendance::ReferralId))
                    .col(ColumnDef::new(Attendance::AttendedOn).date().not_null())
                    .col(ColumnDef::new(Attendance::Verified).boolean().not_null())
                    .col(ColumnDef::new(Attendance::Note).text().null())
                    .col(uuid(Attendance::RecordedBy))
                    .col(ts(Attendance::CreatedAt))
                    .foreign_key(&mut fk(
                        (Attendance::Table, Attendance::ReferralId),
                        (Referrals::Table, Referrals::Id),
                    ))
                    .foreign_key(&mut fk((Attendance::Table, Attendance::RecordedBy), (Staff::Table, Staff::Id)))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_attendance_referral", Attendance::Table, &["referral_id", "attended_on"]).await?;

        manager
            .create_table(
                Table::create()
                    .table(FollowUps::Table)
                    .col(uuid(FollowUps::Id).primary_key())
                    .col(ColumnDef::new(FollowUps::Version).integer().not_null())
                    .col(uuid(FollowUps::ClientId))
                    .col(ColumnDef::new(FollowUps::EpisodeId).uuid().null())
                    .col(ColumnDef::new(FollowUps::DueOn).date().not_null())
                    .col(ColumnDef::new(FollowUps::ScheduleDays).integer().null())
                    .col(ColumnDef::new(FollowUps::Status).string_len(16).not_null())
                    .col(ColumnDef::new(FollowUps::Outcome).string_len(24).null())
                    .col(ColumnDef::new(FollowUps::AttendingSupportGroup).boolean().null())
                    .col(ColumnDef::new(FollowUps::ContactedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(FollowUps::Note).text().null())
                    .col(ColumnDef::new(FollowUps::RecordedBy).uuid().null())
                    .col(uuid(FollowUps::CreatedBy))
                    .col(ts(FollowUps::CreatedAt))
                    .col(ts(FollowUps::UpdatedAt))
                    .foreign_key(&mut fk((FollowUps::Table, FollowUps::ClientId), (Clients::Table, Clients::Id)))
                    .foreign_key(&mut fk((FollowUps::Table, FollowUps::EpisodeId), (Episodes::Table, Episodes::Id)))
                    .foreign_key(&mut fk((FollowUps::Table, FollowUps::RecordedBy), (Staff::Table, Staff::Id)))
                    .foreign_key(&mut fk((FollowUps::Table, FollowUps::CreatedBy), (Staff::Table, Staff::Id)))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_follow_ups_client", FollowUps::Table, &["client_id"]).await?;
        index(manager, "ix_follow_ups_due", FollowUps::Table, &["due_on", "status"]).await?;

        let mut seed = Query::insert()
            .into_table(SupportGroups::Table)
            .columns([
                SupportGroups::Id,
                SupportGroups::Name,
                SupportGroups::Abbreviation,
                SupportGroups::TwelveStep,
                SupportGroups::Audience,
                SupportGroups::Description,
            ])
            .to_owned();
        for (id, name, abbreviation, twelve_step, audience, description) in PROGRAMS {
            seed.values_panic([
                Uuid::from_u128(*id).into(),
                (*name).into(),
                (*abbreviation).into(),
                (*twelve_step).into(),
                (*audience).into(),
                (*description).into(),
            ]);
        }
        manager.exec_stmt(seed).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FollowUps::Table.into_iden(),
            Attendance::Table.into_iden(),
            Referrals::Table.into_iden(),
            Meetings::Table.into_iden(),
            SupportGroups::Table.into_iden(),
            StageChanges::Table.into_iden(),
            Episodes::Table.into_iden(),
            Clients::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
