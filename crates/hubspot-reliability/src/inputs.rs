//! The contact inputs the suites send.
//!
//! Every input sets `firstname`, `lastname` and `city` to values unique to its position, so
//! the final state shows which input was applied last. Options add the cases the fault
//! matrix needs: duplicates of earlier inputs (in another letter case), invalid emails (a 207
//! partial failure), inputs with a non-unique id property (a whole-batch 400) and inputs that
//! would take the email of a contact that exists before the run (a whole-batch 409).

use hubspot_crm::UpsertInput;

/// Which extra cases a set of inputs holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mix {
    /// Every `duplicate_every`-th input (offset 5) repeats the email of the input 5 before it.
    pub duplicate_every: Option<usize>,
    /// Every `invalid_email_every`-th input (offset 7) has an invalid email: HubSpot fails it
    /// alone in a 207.
    pub invalid_email_every: Option<usize>,
    /// Every `non_unique_every`-th input (offset 11) names `firstname` as its id property:
    /// HubSpot rejects its whole request with a 400.
    pub non_unique_every: Option<usize>,
    /// Every `conflict_every`-th input (offset 13) is upserted by the custom unique property
    /// `contact_external_id` and sets `email` to that of an existing contact (see
    /// [`conflict_owners`]): HubSpot rejects its whole request with a 409 `CONFLICT`.
    pub conflict_every: Option<usize>,
}

/// What kind of input was made at a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A valid contact.
    Valid,
    /// A valid contact repeating an earlier email.
    Duplicate,
    /// An invalid email (fails alone, 207).
    InvalidEmail,
    /// A non-unique id property (whole-batch 400, then fails alone after bisection).
    NonUnique,
    /// Takes an existing contact's email (whole-batch 409, then fails alone after bisection).
    Conflict,
}

/// The start of the emails of the contacts that exist before a run with conflicts.
pub const OWNER_PREFIX: &str = "owner";

fn owner_email(i: usize) -> String {
    format!("{OWNER_PREFIX}{i}@example.com")
}

/// The emails of the contacts that must exist before a run of `contacts(n, mix)`: one per
/// [`Kind::Conflict`] input, holding the email it takes.
pub fn conflict_owners(n: usize, mix: Mix) -> Vec<String> {
    let (_, kinds) = contacts(n, mix);
    kinds
        .iter()
        .enumerate()
        .filter(|(_, kind)| **kind == Kind::Conflict)
        .map(|(i, _)| owner_email(i))
        .collect()
}

/// `n` inputs with the cases of `mix`, and the kind of each.
pub fn contacts(n: usize, mix: Mix) -> (Vec<UpsertInput>, Vec<Kind>) {
    let hits = |every: Option<usize>, offset: usize, i: usize| {
        every.is_some_and(|e| e > 0 && i >= offset && i % e == offset)
    };
    let mut inputs = Vec::with_capacity(n);
    let mut kinds = Vec::with_capacity(n);
    for i in 0..n {
        let (input, kind) = if hits(mix.conflict_every, 13, i) {
            (
                UpsertInput::new(format!("ext-{i}"))
                    .id_property("contact_external_id")
                    .property("email", owner_email(i))
                    .property("firstname", format!("first-{i}")),
                Kind::Conflict,
            )
        } else if hits(mix.non_unique_every, 11, i) {
            (
                UpsertInput::new(format!("Name{i}"))
                    .id_property("firstname")
                    .property("lastname", format!("last-{i}")),
                Kind::NonUnique,
            )
        } else if hits(mix.invalid_email_every, 7, i) {
            (
                UpsertInput::new(format!("not-an-email-{i}"))
                    .id_property("email")
                    .property("firstname", format!("first-{i}")),
                Kind::InvalidEmail,
            )
        } else if hits(mix.duplicate_every, 5, i) {
            (
                UpsertInput::new(format!("User{}@Example.COM", i - 5))
                    .id_property("email")
                    .property("firstname", format!("first-{i}"))
                    .property("city", format!("city-{i}")),
                Kind::Duplicate,
            )
        } else {
            (
                UpsertInput::new(format!("user{i}@example.com"))
                    .id_property("email")
                    .property("firstname", format!("first-{i}"))
                    .property("lastname", format!("last-{i}"))
                    .property("city", format!("city-{i}")),
                Kind::Valid,
            )
        };
        inputs.push(input);
        kinds.push(kind);
    }
    (inputs, kinds)
}
