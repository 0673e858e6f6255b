//! Finding clients (issue 16): a folded name key (accents, case and hyphens folded, see
//! `continuum_domain::client::name_key`) for accent-insensitive partial search, filled in
//! for every existing client, and an index on the date of birth for search and for the
//! duplicate check at registration.

use continuum_domain::client::name_key;
use sea_orm::prelude::Uuid;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    FirstName,
    LastName,
    PreferredName,
    DateOfBirth,
    NameKey,
}

const CLIENTS_DATE_OF_BIRTH: &str = "ix_clients_date_of_birth";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(ColumnDef::new(Clients::NameKey).text().not_null().default(""))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let rows = db
            .query_all(
                &Query::select()
                    .columns([Clients::Id, Clients::FirstName, Clients::LastName, Clients::PreferredName])
                    .from(Clients::Table)
                    .to_owned(),
            )
            .await?;
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let first: String = row.try_get("", "first_name")?;
            let last: String = row.try_get("", "last_name")?;
            let preferred: Option<String> = row.try_get("", "preferred_name")?;
            let key = name_key(&[&first, preferred.as_deref().unwrap_or(""), &last]);
            manager
                .exec_stmt(
                    Query::update()
                        .table(Clients::Table)
                        .value(Clients::NameKey, key)
                        .and_where(Expr::col(Clients::Id).eq(id))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create().name(CLIENTS_DATE_OF_BIRTH).table(Clients::Table).col(Clients::DateOfBirth).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(CLIENTS_DATE_OF_BIRTH).table(Clients::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Clients::Table).drop_column(Clients::NameKey).to_owned()).await
    }
}
