//! Corridor's data model: the schema (loaded from `schema/corridor.toml`, which is data, not
//! code), the typed property values, the envelope every record travels in (originator,
//! grading, handling, review date) and the one function that validates a record.
//!
//! Nothing here does I/O: the schema file is compiled into the binary.
//!
//! ```
//! use corridor_model::{Model, RawRecord, ValueContext};
//! let model = Model::builtin();
//! let raw = RawRecord::new("p1", "Person")
//!     .with("firstName", "Љубиша")
//!     .with("lastName", "Јовановић")
//!     .with("birthDate", "1987-05")
//!     .with("nationality", "SRB");
//! let record = model.validate(&raw, &ValueContext::default()).unwrap();
//! assert_eq!(record.properties["nationality"], vec!["rs"]);
//! ```

pub mod envelope;
pub mod limits;
pub mod record;
pub mod schema;
pub mod types;

pub use envelope::{
    Envelope, EuHandling, EuInformation, EuSource, Grading, GradingError, Tlp, UkHandling,
    UkIntelligence, UkSource,
};
pub use record::{ContentHash, FieldError, RawRecord, Record};
pub use schema::{Model, PropertyDef, SchemaDef, SchemaError};
pub use types::{PropType, ValueContext};
