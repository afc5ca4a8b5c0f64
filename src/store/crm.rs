//! CRM data: customers and their assets, CSV import, and a snapshot of both as the extraction
//! [`Directory`](crate::extract::directory::Directory).

use std::io::Read;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store, StoreError, now_ms};
use crate::extract::directory::{self, InMemoryDirectory, canonical_tag};

/// A customer row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    pub customer_id: i64,
    pub name: String,
    pub contact: Option<String>,
    pub created_at: i64,
}

/// The fields a client sets on a customer.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerInput {
    pub name: String,
    #[serde(default)]
    pub contact: Option<String>,
}

/// An asset row, with its customer's name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Asset {
    pub asset_id: i64,
    /// Canonical: upper case, no spaces.
    pub tag: String,
    pub customer_id: i64,
    pub customer: String,
    pub description: String,
    pub created_at: i64,
}

/// The fields a client sets on an asset.
#[derive(Debug, Clone, Deserialize)]
pub struct AssetInput {
    pub tag: String,
    pub customer_id: i64,
    #[serde(default)]
    pub description: String,
}

/// What a CSV import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    pub inserted: u64,
    pub updated: u64,
}

fn customer_row(r: &AnyRow) -> Result<Customer> {
    Ok(Customer {
        customer_id: r.try_get("customer_id")?,
        name: r.try_get("name")?,
        contact: r.try_get("contact")?,
        created_at: r.try_get("created_at")?,
    })
}

fn asset_row(r: &AnyRow) -> Result<Asset> {
    Ok(Asset {
        asset_id: r.try_get("asset_id")?,
        tag: r.try_get("tag")?,
        customer_id: r.try_get("customer_id")?,
        customer: r.try_get("customer")?,
        description: r.try_get("description")?,
        created_at: r.try_get("created_at")?,
    })
}

const ASSET_SELECT: &str = "select a.asset_id, a.tag, a.customer_id, c.name as customer, a.description, a.created_at \
     from asset a join customer c on c.customer_id = a.customer_id";

fn clean_customer(input: &CustomerInput) -> Result<(String, Option<String>)> {
    let name = input.name.trim();
    if name.is_empty() {
        return Err(StoreError::invalid("name", "empty"));
    }
    let contact = input.contact.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    Ok((name.to_string(), contact))
}

fn clean_tag(raw: &str) -> Result<String> {
    let tag = canonical_tag(raw);
    if tag.is_empty() {
        return Err(StoreError::invalid("tag", format!("`{raw}` has no letters or digits")));
    }
    Ok(tag)
}

impl Store {
    /// Adds a customer; names are unique.
    pub async fn create_customer(&self, input: &CustomerInput) -> Result<Customer> {
        let (name, contact) = clean_customer(input)?;
        let row = sqlx::query(
            "insert into customer (name, contact, created_at) values ($1, $2, $3) \
             returning customer_id, name, contact, created_at",
        )
        .bind(&name)
        .bind(&contact)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| StoreError::unique(e, || format!("customer `{name}` already exists")))?;
        customer_row(&row)
    }

    /// One customer by id.
    pub async fn customer(&self, customer_id: i64) -> Result<Customer> {
        let row = sqlx::query("select customer_id, name, contact, created_at from customer where customer_id = $1")
            .bind(customer_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("customer", customer_id))?;
        customer_row(&row)
    }

    /// All customers by name.
    pub async fn customers(&self) -> Result<Vec<Customer>> {
        let rows = sqlx::query("select customer_id, name, contact, created_at from customer order by name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(customer_row).collect()
    }

    /// Replaces a customer's name and contact.
    pub async fn update_customer(&self, customer_id: i64, input: &CustomerInput) -> Result<Customer> {
        let (name, contact) = clean_customer(input)?;
        let row = sqlx::query(
            "update customer set name = $1, contact = $2 where customer_id = $3 \
             returning customer_id, name, contact, created_at",
        )
        .bind(&name)
        .bind(&contact)
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| StoreError::unique(e, || format!("customer `{name}` already exists")))?
        .ok_or_else(|| StoreError::not_found("customer", customer_id))?;
        customer_row(&row)
    }

    /// Deletes a customer that has no assets, reports or tickets.
    pub async fn delete_customer(&self, customer_id: i64) -> Result<()> {
        let in_use: i64 = sqlx::query_scalar(
            "select (select count(*) from asset where customer_id = $1) \
                  + (select count(*) from report where customer_id = $1)",
        )
        .bind(customer_id)
        .fetch_one(&self.pool)
        .await?;
        if in_use > 0 {
            return Err(StoreError::Conflict(format!("customer {customer_id} still has assets or reports")));
        }
        let done = sqlx::query("delete from customer where customer_id = $1").bind(customer_id).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("customer", customer_id));
        }
        Ok(())
    }

    /// Adds an asset; tags are canonicalised and unique.
    pub async fn create_asset(&self, input: &AssetInput) -> Result<Asset> {
        let tag = clean_tag(&input.tag)?;
        self.customer(input.customer_id).await?;
        let row = sqlx::query(
            "insert into asset (tag, customer_id, description, created_at) values ($1, $2, $3, $4) returning asset_id",
        )
        .bind(&tag)
        .bind(input.customer_id)
        .bind(input.description.trim())
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| StoreError::unique(e, || format!("asset tag `{tag}` already exists")))?;
        self.asset(row.try_get("asset_id")?).await
    }

    /// One asset by id.
    pub async fn asset(&self, asset_id: i64) -> Result<Asset> {
        let row = sqlx::query(&format!("{ASSET_SELECT} where a.asset_id = $1"))
            .bind(asset_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("asset", asset_id))?;
        asset_row(&row)
    }

    /// One asset by tag (any spelling that canonicalises to it).
    pub async fn asset_by_tag(&self, tag: &str) -> Result<Option<Asset>> {
        let row = sqlx::query(&format!("{ASSET_SELECT} where a.tag = $1"))
            .bind(canonical_tag(tag))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(asset_row).transpose()
    }

    /// All assets by tag, optionally of one customer.
    pub async fn assets(&self, customer_id: Option<i64>) -> Result<Vec<Asset>> {
        let rows = sqlx::query(&format!("{ASSET_SELECT} where ($1 is null or a.customer_id = $1) order by a.tag"))
            .bind(customer_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(asset_row).collect()
    }

    /// Replaces an asset's tag, owner and description.
    pub async fn update_asset(&self, asset_id: i64, input: &AssetInput) -> Result<Asset> {
        let tag = clean_tag(&input.tag)?;
        self.customer(input.customer_id).await?;
        let done = sqlx::query("update asset set tag = $1, customer_id = $2, description = $3 where asset_id = $4")
            .bind(&tag)
            .bind(input.customer_id)
            .bind(input.description.trim())
            .bind(asset_id)
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::unique(e, || format!("asset tag `{tag}` already exists")))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("asset", asset_id));
        }
        self.asset(asset_id).await
    }

    /// Deletes an asset no report or ticket refers to.
    pub async fn delete_asset(&self, asset_id: i64) -> Result<()> {
        let in_use: i64 = sqlx::query_scalar("select count(*) from report where asset_id = $1")
            .bind(asset_id)
            .fetch_one(&self.pool)
            .await?;
        if in_use > 0 {
            return Err(StoreError::Conflict(format!("asset {asset_id} is referenced by reports")));
        }
        let done = sqlx::query("delete from asset where asset_id = $1").bind(asset_id).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("asset", asset_id));
        }
        Ok(())
    }

    /// Imports `name[,contact]` rows, inserting new names and updating the contact of known ones, in one
    /// transaction: a bad row imports nothing. `file` names the input in errors.
    pub async fn import_customers(&self, file: &str, csv: impl Read) -> Result<ImportSummary> {
        let dir = InMemoryDirectory::from_csv(csv, "tag,customer,description\n".as_bytes())
            .map_err(|e| StoreError::Csv { file: file.into(), reason: e.to_string() })?;
        let mut tx = self.pool.begin().await?;
        let mut summary = ImportSummary::default();
        for c in &dir.customers {
            let updated = sqlx::query("update customer set contact = $1 where name = $2")
                .bind(&c.contact)
                .bind(&c.name)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() > 0 {
                summary.updated += 1;
            } else {
                sqlx::query("insert into customer (name, contact, created_at) values ($1, $2, $3)")
                    .bind(&c.name)
                    .bind(&c.contact)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                summary.inserted += 1;
            }
        }
        tx.commit().await?;
        Ok(summary)
    }

    /// Imports `tag,customer,description` rows (customer by exact name, already in the store), inserting
    /// new tags and updating known ones, in one transaction.
    pub async fn import_assets(&self, file: &str, csv: impl Read) -> Result<ImportSummary> {
        let customers = self.customers().await?;
        let mut names = String::from("name\n");
        for c in &customers {
            names.push_str(&csv_field(&c.name));
            names.push('\n');
        }
        let dir = InMemoryDirectory::from_csv(names.as_bytes(), csv)
            .map_err(|e| StoreError::Csv { file: file.into(), reason: e.to_string() })?;
        let mut tx = self.pool.begin().await?;
        let mut summary = ImportSummary::default();
        for a in &dir.assets {
            let customer_id = customers
                .iter()
                .find(|c| c.name == a.customer)
                .map(|c| c.customer_id)
                .ok_or_else(|| StoreError::invalid("customer", format!("unknown customer `{}`", a.customer)))?;
            let updated = sqlx::query("update asset set customer_id = $1, description = $2 where tag = $3")
                .bind(customer_id)
                .bind(&a.description)
                .bind(&a.tag)
                .execute(&mut *tx)
                .await?;
            if updated.rows_affected() > 0 {
                summary.updated += 1;
            } else {
                sqlx::query("insert into asset (tag, customer_id, description, created_at) values ($1, $2, $3, $4)")
                    .bind(&a.tag)
                    .bind(customer_id)
                    .bind(&a.description)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                summary.inserted += 1;
            }
        }
        tx.commit().await?;
        Ok(summary)
    }

    /// The customers and assets as they are now, for extraction's directory checks.
    pub async fn directory(&self) -> Result<InMemoryDirectory> {
        let customers = self.customers().await?;
        let assets = self.assets(None).await?;
        Ok(InMemoryDirectory {
            customers: customers
                .into_iter()
                .map(|c| directory::Customer { name: c.name, contact: c.contact })
                .collect(),
            assets: assets
                .into_iter()
                .map(|a| directory::Asset { tag: a.tag, customer: a.customer, description: a.description })
                .collect(),
            parts: Vec::new(),
        })
    }
}

/// Quotes a CSV field when it needs it.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}
