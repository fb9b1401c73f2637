//! `trainfit open`: the web calculator with this machine's profile in the URL fragment.
//!
//! The fragment is `#profile=` followed by the profile's compact JSON, gzipped (RFC 1952) and
//! base64url-encoded without padding (RFC 4648 §5): what the page reads back with the browser's
//! `DecompressionStream("gzip")`. A browser never sends the fragment to a server (RFC 9110
//! §7.1: the fragment is not part of the request target), so the profile stays on the machine
//! that opens it.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::Context;
use base64::Engine;
use trainfit_core::hardware::HardwareProfile;
use trainfit_probe::collect::collect;

use super::args::Benchmark;

/// Where the page is served when no `--site` is given: the web calculator is not deployed at a
/// public address yet, so the default is the local preview server (`npm --prefix web run
/// preview`, Vite's preview port 4173).
pub const DEFAULT_SITE: &str = "http://localhost:4173/";

/// Arguments of `trainfit open`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The web calculator's address.
    #[arg(long, default_value = DEFAULT_SITE, value_name = "URL")]
    site: String,
    /// Print the address only; do not start a browser.
    #[arg(long)]
    print: bool,
    #[command(flatten)]
    bench: Benchmark,
}

/// Profiles this machine and returns the page's address with the profile in its fragment; unless
/// `--print`, also starts the system's browser on it where there is one.
pub fn run(args: &Args) -> anyhow::Result<String> {
    if !(args.site.starts_with("http://") || args.site.starts_with("https://"))
        || args.site.contains('#')
    {
        anyhow::bail!(
            "--site is {:?}, expected an http:// or https:// address without a fragment",
            args.site
        );
    }
    let profile = collect(&args.bench.options()?);
    let url = address(&args.site, &profile)?;
    if !args.print {
        if let Err(why) = start_browser(&url) {
            eprintln!("trainfit: no browser started ({why}); open the address below");
        }
    }
    Ok(url + "\n")
}

/// `site` with `#profile=` and the encoded profile.
pub fn address(site: &str, profile: &HardwareProfile) -> anyhow::Result<String> {
    let json = serde_json::to_vec(profile)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&json)?;
    let packed = gz.finish()?;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed);
    Ok(format!("{site}#profile={encoded}"))
}

/// Starts the platform's opener on `url`, without waiting for it.
fn start_browser(url: &str) -> anyhow::Result<()> {
    let mut cmd = if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(target_os = "windows") {
        // `explorer URL` opens the default browser without a shell that would read `&` or `^`.
        Command::new("explorer")
    } else {
        // A Linux or BSD desktop: without a display there is no browser to start.
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            anyhow::bail!("no display");
        }
        Command::new("xdg-open")
    };
    cmd.arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .context("the system's URL opener could not be started")
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_fragment_is_the_gzipped_profile_in_base64url() {
        let profile = trainfit_core::hardware::parse_profile(
            r#"{"hostname": "a&b#c", "memory": {"total_bytes": {"value": 17179869184, "source": "measured"}}}"#,
        )
        .unwrap();
        let url = address("https://example.org/trainfit/", &profile).unwrap();
        let encoded = url
            .strip_prefix("https://example.org/trainfit/#profile=")
            .unwrap();
        assert!(encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let packed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .unwrap();
        let mut json = String::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_string(&mut json)
            .unwrap();
        assert_eq!(
            trainfit_core::hardware::parse_profile(&json).unwrap(),
            profile
        );
    }
}
