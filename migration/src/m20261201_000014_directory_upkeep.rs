//! Directory upkeep (issue 16): groups and meetings carry a version (ADMIN edits them) and can
//! be retired, and groups carry the attributes the recommendation rules match on, so a group
//! the admin adds is recommended on its merits. The eight programs of the source text get
//! their attributes here:
//! - open to: WFS meetings are for women only; the others are open to anyone;
//! - secular (no higher power): SMART Recovery, SOS and WFS;
//! - for co-occurring conditions: Dual Recovery Anonymous;
//! - substance focus (empty = any substance): AA alcohol; CA cocaine; CMA methamphetamine;
//!   NA drugs other than alcohol (its literature covers alcohol too, but the rules send
//!   alcohol-only clients to AA);
//! - languages: English, with Spanish for the fellowships that publish in it (AA, NA, CA,
//!   CMA, SMART Recovery).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SupportGroups {
    Table,
    Abbreviation,
    Version,
    OpenTo,
    Secular,
    CoOccurring,
    SubstanceFocus,
    Languages,
    RetiredAt,
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Version,
    RetiredAt,
}

/// (abbreviation, open to, secular, co-occurring, substance focus, languages)
const ATTRIBUTES: &[(&str, &str, bool, bool, &str, &str)] = &[
    ("AA", "ANYONE", false, false, "ALCOHOL", "en,es"),
    (
        "NA",
        "ANYONE",
        false,
        false,
        "BENZODIAZEPINES,CANNABIS,COCAINE,METHAMPHETAMINE,OPIOIDS,OTHER,OTHER_STIMULANTS",
        "en,es",
    ),
    ("CA", "ANYONE", false, false, "COCAINE", "en,es"),
    ("CMA", "ANYONE", false, false, "METHAMPHETAMINE", "en,es"),
    ("DRA", "ANYONE", false, true, "", "en"),
    ("SMART", "ANYONE", true, false, "", "en,es"),
    ("SOS", "ANYONE", true, false, "", "en"),
    ("WFS", "WOMEN", true, false, "", "en"),
];

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
            ColumnDef::new(SupportGroups::Version).integer().not_null().default(1).to_owned(),
            ColumnDef::new(SupportGroups::OpenTo).string_len(16).not_null().default("ANYONE").to_owned(),
            ColumnDef::new(SupportGroups::Secular).boolean().not_null().default(false).to_owned(),
            ColumnDef::new(SupportGroups::CoOccurring).boolean().not_null().default(false).to_owned(),
            ColumnDef::new(SupportGroups::SubstanceFocus).text().not_null().default("").to_owned(),
            ColumnDef::new(SupportGroups::Languages).text().not_null().default("").to_owned(),
            ColumnDef::new(SupportGroups::RetiredAt).timestamp_with_time_zone().null().to_owned(),
        ];
        // One column per statement: SQLite alters a table one column at a time.
        for column in columns {
            manager.alter_table(Table::alter().table(SupportGroups::Table).add_column(column).to_owned()).await?;
        }
        for column in [
            ColumnDef::new(Meetings::Version).integer().not_null().default(1).to_owned(),
            ColumnDef::new(Meetings::RetiredAt).timestamp_with_time_zone().null().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Meetings::Table).add_column(column).to_owned()).await?;
        }
        for (abbreviation, open_to, secular, co_occurring, focus, languages) in ATTRIBUTES {
            manager
                .exec_stmt(
                    Query::update()
                        .table(SupportGroups::Table)
                        .values([
                            (SupportGroups::OpenTo, (*open_to).into()),
                            (SupportGroups::Secular, (*secular).into()),
                            (SupportGroups::CoOccurring, (*co_occurring).into()),
                            (SupportGroups::SubstanceFocus, (*focus).into()),
                            (SupportGroups::Languages, (*languages).into()),
                        ])
                        .and_where(Expr::col(SupportGroups::Abbreviation).eq(*abbreviation))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Meetings::Version, Meetings::RetiredAt] {
            manager.alter_table(Table::alter().table(Meetings::Table).drop_column(column).to_owned()).await?;
        }
        for column in [
            SupportGroups::Version,
            SupportGroups::OpenTo,
            SupportGroups::Secular,
            SupportGroups::CoOccurring,
            SupportGroups::SubstanceFocus,
            SupportGroups::Languages,
            SupportGroups::RetiredAt,
        ] {
            manager.alter_table(Table::alter().table(SupportGroups::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
