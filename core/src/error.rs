//! The error type of the core.

use alloc::string::String;
use core::fmt;

/// Every way a request, a model description or a computation can fail.
///
/// Messages are lowercase, name the field, the value and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A field holds a value outside what the model accepts.
    InvalidField {
        /// Dotted path of the field, e.g. `lora.rank`.
        field: String,
        /// The value as the user gave it.
        value: String,
        /// What would have been accepted.
        expected: String,
    },
    /// A required field is absent.
    MissingField {
        /// Dotted path of the missing field.
        field: String,
        /// Where it was looked for (e.g. `config.json of model_type llama`).
        context: String,
    },
    /// A Hugging Face `model_type` the importer does not know.
    UnsupportedModelType {
        /// The `model_type` found.
        model_type: String,
        /// Comma-separated list of supported types.
        supported: String,
    },
    /// A catalogue name that matches no model.
    UnknownModel {
        /// The name that was asked for.
        name: String,
        /// Closest names in the catalogue, comma-separated.
        suggestions: String,
    },
    /// Text that is not valid JSON, or JSON of the wrong shape.
    Json {
        /// What was being parsed.
        what: String,
        /// The parser's message.
        message: String,
    },
    /// A document written by a newer version of trainfit.
    SchemaVersion {
        /// The version found.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A byte or count computation exceeded 64 bits.
    Overflow {
        /// The quantity being computed.
        quantity: String,
    },
}

impl Error {
    /// Builds an error from its kind.
    pub fn new(kind: ErrorKind) -> Self {
        Error { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub(crate) fn invalid(
        field: impl Into<String>,
        value: impl fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        Error::new(ErrorKind::InvalidField {
            field: field.into(),
            value: alloc::format!("{value}"),
            expected: expected.into(),
        })
    }

    pub(crate) fn missing(field: impl Into<String>, context: impl Into<String>) -> Self {
        Error::new(ErrorKind::MissingField {
            field: field.into(),
            context: context.into(),
        })
    }

    pub(crate) fn overflow(quantity: impl Into<String>) -> Self {
        Error::new(ErrorKind::Overflow {
            quantity: quantity.into(),
        })
    }

    pub(crate) fn json(what: impl Into<String>, message: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Json {
            what: what.into(),
            message: alloc::format!("{message}"),
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::InvalidField {
                field,
                value,
                expected,
            } => write!(f, "field `{field}` is {value}, expected {expected}"),
            ErrorKind::MissingField { field, context } => {
                write!(f, "field `{field}` is missing from {context}")
            }
            ErrorKind::UnsupportedModelType {
                model_type,
                supported,
            } => write!(
                f,
                "model_type `{model_type}` is not supported; supported types: {supported}"
            ),
            ErrorKind::UnknownModel { name, suggestions } => {
                if suggestions.is_empty() {
                    write!(f, "no model named `{name}` in the catalogue")
                } else {
                    write!(
                        f,
                        "no model named `{name}` in the catalogue; closest: {suggestions}"
                    )
                }
            }
            ErrorKind::Json { what, message } => write!(f, "{what} is not valid: {message}"),
            ErrorKind::SchemaVersion { found, supported } => write!(
                f,
                "schema_version {found} is newer than this build reads (up to {supported}); update trainfit"
            ),
            ErrorKind::Overflow { quantity } => {
                write!(f, "{quantity} does not fit in 64 bits; the input is too large")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Result with the core's error.
pub type Result<T, E = Error> = core::result::Result<T, E>;
