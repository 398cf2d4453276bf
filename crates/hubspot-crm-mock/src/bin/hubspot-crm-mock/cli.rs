//! Command-line arguments of the `hubspot-crm-mock` binary and their translation into a
//! [`MockConfig`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::builder::PossibleValue;
use clap::{Parser, ValueEnum};
use hubspot_crm_mock::{FaultPlan, MockConfig, Plan, PropertyDefinitions};

/// A plan name on the command line; its help shows the plan's limits from [`Plan::limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanArg(pub Plan);

impl ValueEnum for PlanArg {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            PlanArg(Plan::Free),
            PlanArg(Plan::Starter),
            PlanArg(Plan::Professional),
            PlanArg(Plan::Enterprise),
            PlanArg(Plan::ApiLimitIncrease),
            PlanArg(Plan::PublicApp),
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let value = match self.0 {
            Plan::Free => PossibleValue::new("free"),
            Plan::Starter => PossibleValue::new("starter"),
            Plan::Professional => PossibleValue::new("professional"),
            Plan::Enterprise => PossibleValue::new("enterprise"),
            Plan::ApiLimitIncrease => PossibleValue::new("addon").alias("api-limit-increase"),
            Plan::PublicApp => PossibleValue::new("public-app"),
        };
        let limits = self.0.limits();
        Some(value.help(format!(
            "{} requests per {} s",
            limits.requests_per_window,
            limits.window.as_secs()
        )))
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
    /// HubSpot plan whose limits to enforce: requests per rolling window, inputs per request
    /// and the daily figure of the headers (`api-limit-increase` is another name of `addon`).
    #[arg(long, value_enum, default_value = "starter")]
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
            .plan(self.plan.0)
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
    use hubspot_crm_mock::{Fault, MockServer};

    use super::*;

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
        let expected = MockServer::builder()
            .addr(SocketAddr::from(([127, 0, 0, 1], 9000)))
            .plan(Plan::Professional)
            .latency(Duration::from_millis(25))
            .faults(FaultPlan::scripted([
                (2, Fault::BadGateway502),
                (4, Fault::GatewayTimeout504.after_apply()),
            ]))
            .seed(7)
            .daily_quota(50)
            .valid_tokens(["a", "b"]);
        assert_eq!(args.into_config(), expected);
    }

    #[test]
    fn every_plan_by_name() {
        for (name, plan) in [
            ("free", Plan::Free),
            ("starter", Plan::Starter),
            ("professional", Plan::Professional),
            ("enterprise", Plan::Enterprise),
            ("addon", Plan::ApiLimitIncrease),
            ("api-limit-increase", Plan::ApiLimitIncrease),
            ("public-app", Plan::PublicApp),
        ] {
            let args = Args::try_parse_from(["hubspot-crm-mock", "--plan", name])
                .unwrap_or_else(|e| panic!("--plan {name}: {e}"));
            assert_eq!(args.plan, PlanArg(plan), "{name}");
            assert_eq!(
                args.into_config(),
                MockServer::builder()
                    .addr(SocketAddr::from(([127, 0, 0, 1], 8080)))
                    .plan(plan),
                "{name}"
            );
        }
        let err =
            Args::try_parse_from(["hubspot-crm-mock", "--plan", "gold"]).expect_err("not a plan");
        assert!(err.to_string().contains("public-app"), "{err}");
    }

    #[test]
    fn plan_help_shows_the_table() {
        let help = PlanArg(Plan::ApiLimitIncrease)
            .to_possible_value()
            .and_then(|v| v.get_help().map(ToString::to_string));
        assert_eq!(help.as_deref(), Some("250 requests per 10 s"));
    }

    #[test]
    fn defaults_and_bad_values() {
        let config = Args::try_parse_from(["hubspot-crm-mock"])
            .expect("no arguments needed")
            .into_config();
        assert_eq!(
            config,
            MockServer::builder().addr(SocketAddr::from(([127, 0, 0, 1], 8080)))
        );
        let err = Args::try_parse_from(["hubspot-crm-mock", "--faults", "3=418"])
            .expect_err("unknown fault");
        assert!(err.to_string().contains("unknown fault `418`"), "{err}");
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
        let definitions = PropertyDefinitions::from_file(example).expect("the example reads");
        assert_eq!(
            config,
            MockServer::builder()
                .addr(SocketAddr::from(([127, 0, 0, 1], 8080)))
                .property_definitions("p_people", &definitions)
        );
        let err =
            Args::try_parse_from(["hubspot-crm-mock", "--property-schema", "/nonexistent.json"])
                .expect_err("no such file");
        assert!(
            err.to_string()
                .contains("cannot read property definitions from /nonexistent.json"),
            "{err}"
        );
        assert_eq!(
            Args::try_parse_from(["hubspot-crm-mock", "--no-rate-limit"])
                .expect("flag")
                .into_config(),
            MockServer::builder()
                .addr(SocketAddr::from(([127, 0, 0, 1], 8080)))
                .no_rate_limit()
        );
    }
}
