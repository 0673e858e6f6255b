//! `Date`: a calendar day, `YYYY-MM-DD`, in the program's time zone (API.md).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

/// A calendar day, `YYYY-MM-DD`, between 1900 and 2199.
#[Scalar(name = "Date")]
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
