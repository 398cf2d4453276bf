//! `hubspot-crm-mock`: run the mock HubSpot server until Ctrl-C.

mod cli;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::Args;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_target(false)
        .init();
    let config = Args::parse().into_config();
    let server = match config.start().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("hubspot-crm-mock serving {}", server.base_url());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
    }
    server.shutdown().await;
    std::process::ExitCode::SUCCESS
}
