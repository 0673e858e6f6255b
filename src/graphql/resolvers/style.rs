//! One argument style for mutations: a single `input:` object. Mutations written before it
//! took separate arguments; those stay, `@deprecated`, so that no portal query breaks. A call
//! uses one style or the other, never a mix.

use crate::error::{AppError, AppResult};

/// The value of `field` from the `input:` object (`new`) or from the deprecated argument
/// (`old`). Both given is refused, so that which one wins is never a guess; neither given
/// names the field as required.
pub fn one_of<T>(new: Option<T>, old: Option<T>, field: &'static str) -> AppResult<T> {
    match (new, old) {
        (Some(_), Some(_)) => Err(AppError::bad_field(field, both(field))),
        (Some(value), None) | (None, Some(value)) => Ok(value),
        (None, None) => Err(AppError::bad_field(field, format!("{field} is required: pass it in `input`"))),
    }
}

/// The `input:` object, or one `make` builds from the deprecated argument.
pub fn input_or_one<A, T>(input: Option<T>, a: Option<A>, make: impl FnOnce(A) -> T) -> AppResult<T> {
    let given = a.is_some();
    input_or(input, a.map(make), given)
}

/// The `input:` object, or one `make` builds from the two deprecated arguments (both needed).
pub fn input_or_pair<A, B, T>(
    input: Option<T>,
    a: Option<A>,
    b: Option<B>,
    make: impl FnOnce(A, B) -> T,
) -> AppResult<T> {
    let given = a.is_some() || b.is_some();
    input_or(input, a.zip(b).map(|(a, b)| make(a, b)), given)
}

/// `input`, else `old` (`None` when a deprecated argument is missing); `any_old` tells
/// whether one was given at all, which with `input` is a mix.
fn input_or<T>(input: Option<T>, old: Option<T>, any_old: bool) -> AppResult<T> {
    match (input, any_old) {
        (Some(_), true) => Err(AppError::bad_field("input", both("input"))),
        (Some(input), false) => Ok(input),
        (None, _) => old.ok_or_else(|| AppError::bad_field("input", "input is required")),
    }
}

fn both(field: &str) -> String {
    format!("{field} was given both in `input` and as a deprecated argument: pass it in `input` only")
}
