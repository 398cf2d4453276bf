//! [`Normalization`]: what a pre-send check changed in a value so that HubSpot takes it.

use std::fmt;

/// A change made to a value so that HubSpot takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalization {
    /// Surrounding whitespace removed from a value of a non-text type.
    Trimmed {
        /// The property.
        property: String,
    },
    /// An option given by its label, sent as its value.
    OptionLabel {
        /// The property.
        property: String,
        /// The label given.
        label: String,
        /// The option's value, sent instead.
        value: String,
    },
}

impl fmt::Display for Normalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Normalization::Trimmed { property } => {
                write!(f, "`{property}`: surrounding whitespace trimmed")
            }
            Normalization::OptionLabel {
                property,
                label,
                value,
            } => write!(
                f,
                "`{property}`: option label {label:?} sent as its value {value:?}"
            ),
        }
    }
}
