//! Peak memory of one device, term by term.

use crate::error::{Error, Result};
use crate::estimate::Estimate;
use crate::request::EstimateRequest;

/// Estimates the peak memory of one device for `request`.
///
/// # Errors
/// An `InvalidField` or `MissingField` naming the request field, or an error from the model import.
pub fn estimate(request: &EstimateRequest) -> Result<Estimate> {
    let _ = request;
    Err(Error::missing("model", "request"))
}
