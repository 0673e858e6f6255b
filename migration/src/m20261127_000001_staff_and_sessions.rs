//! Staff accounts, sign-in session families and their refresh tokens.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
    Email,
    EmailNormalized,
    Name,
    Role,
    Active,
    SupervisorId,
    PasswordHash,
    AuthVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SessionFamilies {
    Table,
    Id,
    StaffId,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    FamilyId,
    TokenHash,
    CreatedAt,
    RotatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Staff::Table)
                    .col(ColumnDef::new(Staff::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Staff::Email).string_len(254).not_null())
                    .col(ColumnDef::new(Staff::EmailNormalized).string_len(254).not_null())
                    .col(ColumnDef::new(Staff::Name).string_len(200).not_null())
                    .col(ColumnDef::new(Staff::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Staff::Active).boolean().not_null())
                    .col(ColumnDef::new(Staff::SupervisorId).uuid().null())
                    .col(ColumnDef::new(Staff::PasswordHash).text().not_null())
                    .col(ColumnDef::new(Staff::AuthVersion).integer().not_null())
                    .col(ColumnDef::new(Staff::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Staff::UpdatedAt).timestamp_with_time_zone().not_null())
                    .foreign_key(
                        ForeignKey::create().from(Staff::Table, Staff::SupervisorId).to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_staff_email_normalized")
                    .table(Staff::Table)
                    .col(Staff::EmailNormalized)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_staff_supervisor").table(Staff::Table).col(Staff::SupervisorId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SessionFamilies::Table)
                    .col(ColumnDef::new(SessionFamilies::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(SessionFamilies::StaffId).uuid().not_null())
                    .col(ColumnDef::new(SessionFamilies::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(SessionFamilies::LastUsedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(SessionFamilies::RevokedAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(SessionFamilies::RevokedReason).string_len(64).null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(SessionFamilies::Table, SessionFamilies::StaffId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_session_families_staff")
                    .table(SessionFamilies::Table)
                    .col(SessionFamilies::StaffId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(ColumnDef::new(RefreshTokens::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(RefreshTokens::FamilyId).uuid().not_null())
                    .col(ColumnDef::new(RefreshTokens::TokenHash).string_len(64).not_null())
                    .col(ColumnDef::new(RefreshTokens::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(RefreshTokens::RotatedAt).timestamp_with_time_zone().null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::FamilyId)
                            .to(SessionFamilies::Table, SessionFamilies::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_refresh_tokens_hash")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(RefreshTokens::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SessionFamilies::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Staff::Table).to_owned()).await
    }
}
