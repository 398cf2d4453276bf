//! Helpers shared by the reliability suites in `tests/` (this crate has no other purpose and is
//! not published):
//! - [`inputs`]: the contact inputs the suites send (duplicates, bad records).
//! - [`state`]: the record state expected from the outcomes, and the state the mock holds.
//! - [`audit`]: reading the mock's request log: which requests were retries, and of what.
//! - [`cli`]: where the `hubspot-upsert` binary is, built on first use.
//! - [`doc`]: rewriting a marked section of `RELIABILITY.md` from a real run.

pub mod audit;
pub mod cli;
pub mod doc;
pub mod inputs;
pub mod state;
