//! `trainfit models`: the catalogue, or the entries matching a query.

use trainfit_core::model;

use super::render;

/// Arguments of `trainfit models`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Words to match in the id or repository.
    query: Vec<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The entries matching every word of the query (all of them for none), as a table or, with
/// `--json`, as the core's listing (`schema/catalogue.schema.json`).
pub fn run(args: &Args) -> anyhow::Result<String> {
    let listing = model::list(&args.query.join(" "))?;
    if args.json {
        Ok(render::json("catalogue", &listing)?)
    } else {
        Ok(render::model::catalogue(&listing))
    }
}
