//! Command-line arguments of the `hubspot-crm-mock` binary and their translation into a
//! [`MockConfig`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::config::{MockConfig, Plan};
use crate::faults::FaultPlan;
use crate::property_values::PropertyDefinitions;

/// A plan name on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanArg {
    /// 100 requests per 10 s.
    Starter,
    /// 190 requests per 10 s.
    Professional,
    /// 190 requests per 10 s.
    Enterprise,
    /// 250 requests per 10 s.
    Addon,
}

impl From<PlanArg> for Plan {
    fn from(p: PlanArg) -> Plan {
        match p {
            PlanArg::Starter => Plan::Starter,
            PlanArg::Professional => Plan::Professional,
            PlanArg::Enterprise => Plan::Enterprise,
            PlanArg::Addon => Plan::Addon,
        }
    }
}

/// An embedded HubSpot CRM batch-upsert server for tests and benchmarks.
///
/// Serves POST /crm/objects/2026-09/{objectType}/batch/upsert, the same operation at 2026-03
/// and on the /crm/v3/ path, each in its version's shape, and
/// GET /__mock/objects/{objectType}, logging one line per request.
#[derive(Debug, Clone, Parser)]
#[command(name = "hubspot-crm-mock", version)]
pub struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// HubSpot plan whose rolling 10-second window to enforce.
    #[arg(long, value_enum, default_value_t = PlanArg::Starter)]
    pub plan: PlanArg,
    /// Enforce no request-rate limit (for benchmarks).
    #[arg(long)]
    pub no_rate_limit: bool,
    /// Requests accepted in total before every request gets 429 DAILY.
    #[arg(long)]
    pub daily_quota: Option<u64>,
    /// Response time of every upsert request, in milliseconds: a response leaves no earlier
    /// than this after its request arrived.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Faults to inject: `INDEX=FAULT,...` (e.g. `3=502,7=after-504`) or
    /// `random:PROBABILITY:FAULT|FAULT...` (e.g. `random:0.05:429|502|after-504`). Faults: 429,
    /// 429-daily, 423, 477[-SECS], 500, 502, 503, 504, 524, latency-MS, stall[-MS], close,
    /// truncate, malformed, after-FAULT.
    #[arg(long, default_value = "none")]
    pub faults: FaultPlan,
    /// Seed for the order of results and random faults.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Accept only this bearer token (repeat for several; default: any well-formed token).
    #[arg(long = "token", value_name = "TOKEN")]
    pub tokens: Vec<String>,
    /// Type an object type's properties from HubSpot's properties JSON (`{"results": [...]}`,
    /// as saved from GET /crm/v3/properties/{objectType}) and check values as HubSpot does:
    /// `[TYPE=]FILE`, TYPE defaulting to contacts. Repeat for several types.
    #[arg(long = "property-schema", value_name = "[TYPE=]FILE", value_parser = parse_property_schema)]
    pub property_schemas: Vec<(String, PropertyDefinitions)>,
}

/// `[TYPE=]FILE`, read at once so a bad file stops the start with its reason.
fn parse_property_schema(text: &str) -> Result<(String, PropertyDefinitions), String> {
    let (object_type, path) = match text.split_once('=') {
        Some((t, p)) if !t.is_empty() && !t.contains(['/', '\\']) => (t.to_owned(), p),
        _ => ("contacts".to_owned(), text),
    };
    let definitions = PropertyDefinitions::from_file(path).map_err(|e| e.to_string())?;
    Ok((object_type, definitions))
}

impl Args {
    /// The server configuration these arguments describe.
    pub fn into_config(self) -> MockConfig {
        let mut config = MockConfig::default()
            .addr(SocketAddr::new(self.host, self.port))
            .plan(self.plan.into())
            .latency(Duration::from_millis(self.latency_ms))
            .faults(self.faults)
            .seed(self.seed);
        if self.no_rate_limit {
            config = config.no_rate_limit();
        }
        if let Some(quota) = self.daily_quota {
            config = config.daily_quota(quota);
        }
        if !self.tokens.is_empty() {
            config = config.valid_tokens(self.tokens);
        }
        for (object_type, definitions) in &self.property_schemas {
            config = config.property_definitions(object_type.clone(), definitions);
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RateLimit;
    use crate::faults::Fault;

    #[test]
    fn parses_every_flag() {
        let args = Args::try_parse_from([
            "hubspot-crm-mock",
            "--port",
            "9000",
            "--plan",
            "professional",
            "--latency-ms",
            "25",
            "--faults",
            "2=502,4=after-504",
            "--seed",
            "7",
            "--token",
            "a",
            "--token",
            "b",
            "--daily-quota",
            "50",
        ])
        .expect("valid arguments");
        let config = args.into_config();
        assert_eq!(config.addr, SocketAddr::from(([127, 0, 0, 1], 9000)));
        assert_eq!(config.plan, Plan::Professional);
        assert_eq!(
            config.rate_limit,
            RateLimit::Rolling {
                max: 190,
                window: Duration::from_secs(10)
            }
        );
        assert_eq!(config.latency, Duration::from_millis(25));
        assert_eq!(config.seed, 7);
        assert_eq!(config.daily_quota, Some(50));
        assert_eq!(config.faults.fault_for(2, 7), Some(&Fault::BadGateway502));
        assert_eq!(
            config.faults.fault_for(4, 7),
            Some(&Fault::GatewayTimeout504.after_apply())
        );
        let tokens = config.valid_tokens.expect("tokens set");
        assert!(tokens.contains("a") && tokens.contains("b"));
    }

    #[test]
    fn defaults_and_bad_values() {
        let config = Args::try_parse_from(["hubspot-crm-mock"])
            .expect("no arguments needed")
            .into_config();
        assert_eq!(config.addr.port(), 8080);
        assert_eq!(config.faults, FaultPlan::None);
        assert!(config.valid_tokens.is_none());
        let err = Args::try_parse_from(["hubspot-crm-mock", "--faults", "3=418"])
            .expect_err("unknown fault");
        assert!(err.to_string().contains("unknown fault `418`"), "{err}");
        assert!(Args::try_parse_from(["hubspot-crm-mock", "--plan", "gold"]).is_err());
        let example = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/contacts-properties.json"
        );
        let config = Args::try_parse_from([
            "hubspot-crm-mock",
            "--property-schema",
            &format!("p_people={example}"),
        ])
        .expect("a schema file")
        .into_config();
        let people = &config.schemas["p_people"];
        assert!(people.has_property("contract_start_date"));
        assert_eq!(people.id_property_default(), Some("contact_external_id"));
        let err =
            Args::try_parse_from(["hubspot-crm-mock", "--property-schema", "/nonexistent.json"])
                .expect_err("no such file");
        assert!(
            err.to_string()
                .contains("cannot read property definitions from /nonexistent.json"),
            "{err}"
        );
        assert!(
            Args::try_parse_from(["hubspot-crm-mock", "--no-rate-limit"])
                .expect("flag")
                .into_config()
                .rate_limit
                == RateLimit::Unlimited
        );
    }
}
