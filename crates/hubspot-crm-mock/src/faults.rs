//! Fault injection: which fault, if any, hits the request with a given index, by a scripted
//! list or by a seeded probability, and the text form used by the binary's `--faults`.
//!
//! Request indexes count every request to an upsert route from 0, in arrival order. A fault
//! is looked up by index alone, so the same seed and plan give the same faults whatever the
//! timing. A request turned away by authentication or the rate limit takes no fault.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::random::mix;

/// How long a [`Fault::Stall`] written without a duration (`stall` in a fault spec) holds the
/// request: longer than any sensible client timeout.
pub(crate) const DEFAULT_STALL: Duration = Duration::from_secs(120);

/// `Retry-After` (seconds) of a 477 written without one in a fault spec.
pub(crate) const DEFAULT_MIGRATION_RETRY_AFTER_SECS: u64 = 30;

/// One thing that goes wrong with a request.
///
/// Unless wrapped in [`Fault::AfterApply`], a fault strikes before the batch is applied, so
/// nothing is stored; [`Fault::Latency`] delays a request that then runs normally, and
/// [`Fault::TruncatedBody`] always applies the batch (it cuts the success body short).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 with the `TEN_SECONDLY_ROLLING` body.
    RateLimited429,
    /// 429 with the `DAILY` body.
    DailyLimit429,
    /// 423 Locked (a record set locked by a large sync).
    Locked423,
    /// 477 Migration in Progress with `Retry-After: <seconds>`.
    MigrationInProgress477 {
        /// The `Retry-After` value in seconds.
        retry_after_secs: u64,
    },
    /// 500 Internal Server Error.
    InternalError500,
    /// 502 Bad Gateway.
    BadGateway502,
    /// 503 Service Unavailable.
    ServiceUnavailable503,
    /// 504 Gateway Timeout.
    GatewayTimeout504,
    /// 524 (Cloudflare: the origin did not answer in time).
    OriginTimeout524,
    /// This much extra latency, after which the request runs normally.
    Latency(Duration),
    /// Hold the request this long (meant to outlast the client's timeout), then answer 504.
    /// After the batch is applied, it answers the normal success body instead.
    Stall(Duration),
    /// Close the connection without sending any response.
    CloseConnection,
    /// Apply the batch, then send half of the success body and close the connection.
    TruncatedBody,
    /// Answer 200 with a `application/json` body that is not JSON.
    MalformedJson,
    /// Apply the batch first, then strike with the inner fault (a 504 whose write went
    /// through, a closed connection after the write, ...).
    AfterApply(Box<Fault>),
}

impl Fault {
    /// The inner fault of [`Fault::AfterApply`] wrapped around this one.
    pub fn after_apply(self) -> Fault {
        match self {
            Fault::AfterApply(_) => self,
            other => Fault::AfterApply(Box::new(other)),
        }
    }

    /// Whether the batch is applied before the fault strikes.
    pub fn applies_batch(&self) -> bool {
        matches!(
            self,
            Fault::AfterApply(_) | Fault::TruncatedBody | Fault::Latency(_)
        )
    }

    /// The status code and HubSpot-style message of a fault that answers with an error body.
    pub(crate) fn error_status(&self) -> Option<(u16, &'static str)> {
        Some(match self {
            Fault::Locked423 => (
                423,
                "The requested records are locked by another operation. Wait at least 2 seconds and retry.",
            ),
            Fault::MigrationInProgress477 { .. } => (
                477,
                "Your account is being migrated to a new data center. Retry after the time given in Retry-After.",
            ),
            Fault::InternalError500 => (500, "internal error"),
            Fault::BadGateway502 => (
                502,
                "The request took too long to process (bad gateway). Pause and retry.",
            ),
            Fault::ServiceUnavailable503 => (503, "Service temporarily unavailable. Retry later."),
            Fault::GatewayTimeout504 => (
                504,
                "The request timed out at the gateway. The write may or may not have been applied.",
            ),
            Fault::OriginTimeout524 => (
                524,
                "The origin did not answer within 100 seconds. Retry later.",
            ),
            _ => return None,
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::RateLimited429 => f.write_str("429"),
            Fault::DailyLimit429 => f.write_str("429-daily"),
            Fault::Locked423 => f.write_str("423"),
            Fault::MigrationInProgress477 { retry_after_secs } => {
                write!(f, "477-{retry_after_secs}")
            }
            Fault::InternalError500 => f.write_str("500"),
            Fault::BadGateway502 => f.write_str("502"),
            Fault::ServiceUnavailable503 => f.write_str("503"),
            Fault::GatewayTimeout504 => f.write_str("504"),
            Fault::OriginTimeout524 => f.write_str("524"),
            Fault::Latency(d) => write!(f, "latency-{}", d.as_millis()),
            Fault::Stall(d) => write!(f, "stall-{}", d.as_millis()),
            Fault::CloseConnection => f.write_str("close"),
            Fault::TruncatedBody => f.write_str("truncate"),
            Fault::MalformedJson => f.write_str("malformed"),
            Fault::AfterApply(inner) => write!(f, "after-{inner}"),
        }
    }
}

/// A fault spec that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultSpecError {
    /// A fault name that is not one of the known ones.
    #[error(
        "unknown fault `{0}`; expected one of 429, 429-daily, 423, 477[-SECS], 500, 502, 503, 504, 524, latency-MS, stall[-MS], close, truncate, malformed, or after-<fault>"
    )]
    UnknownFault(String),
    /// A scripted entry that is not `INDEX=FAULT`.
    #[error("fault entry `{0}` is not INDEX=FAULT (for example 3=502)")]
    BadEntry(String),
    /// A random spec that is not `random:PROBABILITY:FAULT|FAULT...`.
    #[error(
        "random fault spec `{0}` is not random:PROBABILITY:FAULT|FAULT (for example random:0.1:502|after-504)"
    )]
    BadRandom(String),
}

impl FromStr for Fault {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(inner) = s.strip_prefix("after-") {
            return Ok(inner.parse::<Fault>()?.after_apply());
        }
        let unknown = || FaultSpecError::UnknownFault(s.to_owned());
        let millis = |rest: &str| -> Result<Duration, FaultSpecError> {
            rest.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| unknown())
        };
        Ok(match s {
            "429" => Fault::RateLimited429,
            "429-daily" => Fault::DailyLimit429,
            "423" => Fault::Locked423,
            "477" => Fault::MigrationInProgress477 {
                retry_after_secs: DEFAULT_MIGRATION_RETRY_AFTER_SECS,
            },
            "500" => Fault::InternalError500,
            "502" => Fault::BadGateway502,
            "503" => Fault::ServiceUnavailable503,
            "504" => Fault::GatewayTimeout504,
            "524" => Fault::OriginTimeout524,
            "stall" => Fault::Stall(DEFAULT_STALL),
            "close" => Fault::CloseConnection,
            "truncate" => Fault::TruncatedBody,
            "malformed" => Fault::MalformedJson,
            other => {
                if let Some(rest) = other.strip_prefix("477-") {
                    Fault::MigrationInProgress477 {
                        retry_after_secs: rest.parse().map_err(|_| unknown())?,
                    }
                } else if let Some(rest) = other.strip_prefix("latency-") {
                    Fault::Latency(millis(rest)?)
                } else if let Some(rest) = other.strip_prefix("stall-") {
                    Fault::Stall(millis(rest)?)
                } else {
                    return Err(unknown());
                }
            }
        })
    }
}

/// Which requests get which faults.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum FaultPlan {
    /// No faults.
    #[default]
    None,
    /// These faults at these request indexes (0-based, counting every request to an upsert
    /// route).
    Scripted(BTreeMap<u64, Fault>),
    /// Each request, independently, with this probability gets one of `faults`, chosen
    /// uniformly; both draws derive from the server's seed and the request index.
    Random {
        /// Chance in `[0, 1]` that a request gets a fault.
        probability: f64,
        /// The faults to choose among.
        faults: Vec<Fault>,
    },
}

impl FaultPlan {
    /// No faults.
    pub fn none() -> Self {
        FaultPlan::None
    }

    /// Faults at the given request indexes (0-based).
    pub fn scripted<I>(entries: I) -> Self
    where
        I: IntoIterator<Item = (u64, Fault)>,
    {
        FaultPlan::Scripted(entries.into_iter().collect())
    }

    /// Each request gets one of `faults` with `probability`, deterministically from the seed.
    pub fn random<I>(probability: f64, faults: I) -> Self
    where
        I: IntoIterator<Item = Fault>,
    {
        FaultPlan::Random {
            probability: probability.clamp(0.0, 1.0),
            faults: faults.into_iter().collect(),
        }
    }

    /// The fault for request `index` on a server seeded with `seed`.
    pub fn fault_for(&self, index: u64, seed: u64) -> Option<&Fault> {
        match self {
            FaultPlan::None => None,
            FaultPlan::Scripted(map) => map.get(&index),
            FaultPlan::Random {
                probability,
                faults,
            } => {
                if faults.is_empty() {
                    return None;
                }
                let draw = mix(seed ^ 0xFA01_7000_0000_0000, index);
                // 53 random bits as a fraction in [0, 1).
                let fraction = (draw >> 11) as f64 / (1u64 << 53) as f64;
                if fraction >= *probability {
                    return None;
                }
                let pick = mix(draw, 1) % faults.len() as u64;
                faults.get(usize::try_from(pick).unwrap_or(0))
            }
        }
    }
}

/// Reads a fault spec: `none`; `INDEX=FAULT,INDEX=FAULT,...` (scripted, e.g. `3=502,7=after-504`);
/// or `random:PROBABILITY:FAULT|FAULT...` (e.g. `random:0.05:429|502|after-504`).
impl FromStr for FaultPlan {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() || s == "none" {
            return Ok(FaultPlan::None);
        }
        if let Some(rest) = s.strip_prefix("random:") {
            let bad = || FaultSpecError::BadRandom(s.to_owned());
            let (p, list) = rest.split_once(':').ok_or_else(bad)?;
            let probability: f64 = p.parse().map_err(|_| bad())?;
            if !(0.0..=1.0).contains(&probability) {
                return Err(bad());
            }
            let faults = list
                .split('|')
                .map(str::parse)
                .collect::<Result<Vec<Fault>, _>>()?;
            return Ok(FaultPlan::random(probability, faults));
        }
        let mut map = BTreeMap::new();
        for entry in s.split(',') {
            let (index, fault) = entry
                .split_once('=')
                .ok_or_else(|| FaultSpecError::BadEntry(entry.to_owned()))?;
            let index: u64 = index
                .trim()
                .parse()
                .map_err(|_| FaultSpecError::BadEntry(entry.to_owned()))?;
            map.insert(index, fault.parse()?);
        }
        Ok(FaultPlan::Scripted(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scripted_spec() {
        let plan: FaultPlan = "0=502, 3=after-504,4=477-60,5=stall-2500,6=close,7=429-daily"
            .parse()
            .expect("valid spec");
        assert_eq!(plan.fault_for(0, 1), Some(&Fault::BadGateway502));
        assert_eq!(
            plan.fault_for(3, 1),
            Some(&Fault::AfterApply(Box::new(Fault::GatewayTimeout504)))
        );
        assert_eq!(
            plan.fault_for(4, 1),
            Some(&Fault::MigrationInProgress477 {
                retry_after_secs: 60
            })
        );
        assert_eq!(
            plan.fault_for(5, 1),
            Some(&Fault::Stall(Duration::from_millis(2500)))
        );
        assert_eq!(plan.fault_for(6, 1), Some(&Fault::CloseConnection));
        assert_eq!(plan.fault_for(7, 1), Some(&Fault::DailyLimit429));
        assert_eq!(plan.fault_for(1, 1), None);
    }

    #[test]
    fn display_round_trips() {
        for spec in [
            "429",
            "429-daily",
            "423",
            "477-5",
            "500",
            "502",
            "503",
            "504",
            "524",
            "latency-150",
            "stall-90000",
            "close",
            "truncate",
            "malformed",
            "after-504",
            "after-close",
        ] {
            let fault: Fault = spec.parse().expect(spec);
            assert_eq!(fault.to_string(), spec);
        }
    }

    #[test]
    fn rejects_bad_specs_with_reasons() {
        assert_eq!(
            "3=418".parse::<FaultPlan>(),
            Err(FaultSpecError::UnknownFault("418".into()))
        );
        assert_eq!(
            "three=502".parse::<FaultPlan>(),
            Err(FaultSpecError::BadEntry("three=502".into()))
        );
        assert!(matches!(
            "random:1.5:502".parse::<FaultPlan>(),
            Err(FaultSpecError::BadRandom(_))
        ));
        assert_eq!("none".parse::<FaultPlan>(), Ok(FaultPlan::None));
    }

    #[test]
    fn random_plan_is_seeded_and_near_its_probability() {
        let plan: FaultPlan = "random:0.25:502|504".parse().expect("valid");
        let hits = |seed| {
            (0..4000u64)
                .filter_map(|i| plan.fault_for(i, seed).map(|f| (i, f.clone())))
                .collect::<Vec<_>>()
        };
        let a = hits(7);
        assert_eq!(a, hits(7), "same seed, same faults");
        assert_ne!(a, hits(8), "another seed, other faults");
        assert!((850..1150).contains(&a.len()), "got {} of 4000", a.len());
        assert!(a.iter().any(|(_, f)| *f == Fault::BadGateway502));
        assert!(a.iter().any(|(_, f)| *f == Fault::GatewayTimeout504));
        assert_eq!(
            FaultPlan::random(0.0, [Fault::BadGateway502]).fault_for(3, 7),
            None
        );
    }
}
