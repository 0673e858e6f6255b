//! The two time scalars: `Date`, a calendar day in the program's time zone, and `DateTime`,
//! an instant in UTC at a fixed precision. Each carries `@specifiedBy` in the SDL.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate, SecondsFormat, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

/// A calendar day, `YYYY-MM-DD` (RFC 3339 `full-date`), between 1900 and 2199. Days such as
/// "due on" and "today" are judged in the program's time zone (`CONTINUUM_TIMEZONE`).
#[Scalar(name = "Date", specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(s) = &value else { return Err(InputValueError::expected_type(value)) };
        let date =
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| InputValueError::custom("a Date is YYYY-MM-DD"))?;
        if !(1900..2200).contains(&date.year()) {
            return Err(InputValueError::custom("a Date must fall between 1900 and 2199"));
        }
        Ok(Date(date))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(d: NaiveDate) -> Self {
        Date(d)
    }
}

/// An instant in UTC (chrono's), shown to clients as the `DateTime` scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// An instant, as RFC 3339 in UTC with microseconds, always the same length:
/// `2026-12-01T15:04:05.123456Z` (what both databases store). Input takes any RFC 3339
/// date-time with an offset (`2026-12-01T10:04:05-05:00`) and reads it as that instant.
#[Scalar(name = "DateTime", specified_by_url = "https://scalars.graphql.org/andimarek/date-time")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(s) = &value else { return Err(InputValueError::expected_type(value)) };
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| DateTime(t.with_timezone(&Utc)))
            .map_err(|_| InputValueError::custom("a DateTime is RFC 3339 with an offset, like 2026-12-01T15:04:05Z"))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(t: chrono::DateTime<Utc>) -> Self {
        DateTime(t)
    }
}
