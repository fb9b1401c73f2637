//! `trainfit cluster`: a cluster document from profiles (`merge`), or from hosts reached over ssh
//! whose links `trainfit net` measures (`discover`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use serde_json::Value as Json;
use trainfit_core::cluster::{Cluster, Link, LinkClass, Machine, CLUSTER_SCHEMA_VERSION};
use trainfit_core::hardware::{parse_profile, HardwareProfile, NetworkBenchmark, Source, Value};

use super::input::{self, Origin};
use super::render;

/// Arguments of `trainfit cluster`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Action,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Merge profiles (`trainfit probe --json`) and cluster files into one cluster document.
    Merge {
        /// Profile or cluster files, JSON or YAML.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// A file holding a list of links (JSON or YAML) to add.
        #[arg(long, value_name = "FILE")]
        links: Option<PathBuf>,
        #[command(flatten)]
        out: Output,
    },
    /// Probe hosts over ssh, measure the links between them with `trainfit net`, and merge.
    Discover {
        /// The hosts, as ssh reaches them, separated by commas.
        #[arg(long, required = true, value_delimiter = ',', value_name = "HOST,...")]
        hosts: Vec<String>,
        /// The ssh command, split at spaces; the host and the remote command follow it.
        #[arg(long, default_value = "ssh -o BatchMode=yes -o ConnectTimeout=10")]
        ssh: String,
        /// The trainfit binary on the hosts.
        #[arg(long, default_value = "trainfit", value_name = "PATH")]
        trainfit: String,
        /// Which pairs of hosts to measure: every pair, each host with the next, or none.
        #[arg(long, value_enum, default_value_t = Pairs::Ring)]
        links: Pairs,
        /// The address `net test` reaches a host at, when not its ssh name (e.g. a
        /// Thunderbolt bridge address): HOST=ADDRESS, repeatable.
        #[arg(long = "address", value_name = "HOST=ADDRESS")]
        addresses: Vec<String>,
        /// Seconds each link test measures.
        #[arg(long, default_value_t = 4.0)]
        seconds: f64,
        /// Seconds a remote command may take before it is given up.
        #[arg(long, default_value_t = 120.0)]
        timeout: f64,
        #[command(flatten)]
        out: Output,
    },
}

/// Where the document goes and whether identical machines are folded.
#[derive(clap::Args, Debug)]
struct Output {
    /// Write the cluster to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Keep every machine apart, even when machines have the same hardware.
    #[arg(long)]
    no_fold: bool,
}

/// Which host pairs `discover` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Pairs {
    /// Every pair of hosts: n(n-1)/2 tests.
    Pairwise,
    /// Each host and the next, the last with the first: n tests (one for two hosts).
    Ring,
    /// No test: the links default to the profiles' network interfaces.
    None,
}

/// `trainfit cluster merge|discover`: the cluster document as pretty JSON, or a note that it was
/// written to `--output`.
pub fn run(args: &Args) -> anyhow::Result<String> {
    let (cluster, out) = match &args.command {
        Action::Merge { files, links, out } => (merge(files, links.as_deref())?, out),
        Action::Discover {
            hosts,
            ssh,
            trainfit,
            links,
            addresses,
            seconds,
            timeout,
            out,
        } => {
            let remote = Remote::new(ssh, trainfit, *timeout)?;
            if !(seconds.is_finite() && *seconds > 0.0 && *seconds <= 600.0) {
                anyhow::bail!("--seconds is {seconds}, expected a duration from 0 to 600 seconds");
            }
            let addresses = addresses
                .iter()
                .map(|a| {
                    a.split_once('=')
                        .map(|(h, a)| (h.to_string(), a.to_string()))
                        .with_context(|| format!("--address {a}: expected HOST=ADDRESS"))
                })
                .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
            (discover(&remote, hosts, *links, &addresses, *seconds)?, out)
        }
    };
    let cluster = if out.no_fold { cluster } else { fold(cluster) };
    cluster
        .validate()
        .context("the merged cluster is not valid")?;
    if let Err(e) = cluster.resolve() {
        eprintln!("trainfit cluster: warning: {e}");
    }
    let text = render::json("cluster", &cluster)?;
    match &out.output {
        None => Ok(text),
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(format!(
                "cluster of {} machines written to {}\n",
                cluster.machines.iter().map(|m| m.count).sum::<u64>(),
                path.display()
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// merge

/// The machines and links of every file, in order: a file with `machines` is a cluster, any
/// other a profile. A profile's machine is named by its host name, else by its file's stem.
fn merge(files: &[PathBuf], links: Option<&Path>) -> anyhow::Result<Cluster> {
    let mut cluster = empty();
    for file in files {
        let origin = Origin(file);
        let text = origin.read()?;
        let value: Json = input::document(&format!("{origin}"), &origin, &text)?;
        if value.get("machines").is_some() {
            let what = format!("cluster {origin}");
            let c: Cluster = if origin.is_yaml() {
                input::from_yaml_value(&what, &text, value)?
            } else {
                input::parse(&what, &text)?
            };
            c.validate().with_context(|| what.clone())?;
            for i in 0..c.machines.len() {
                let mut m = c.machines[i].clone();
                m.name = Some(c.machine_name(i));
                cluster.machines.push(m);
            }
            cluster.links.extend(c.links);
        } else {
            let what = format!("hardware profile {origin}");
            let profile = if origin.is_yaml() {
                let mut p: HardwareProfile = input::from_yaml_value(&what, &text, value)?;
                p.check_sizes().with_context(|| what.clone())?;
                p.complete();
                p.validate().with_context(|| what.clone())?;
                p
            } else {
                parse_profile(&text).with_context(|| what.clone())?
            };
            let stem = file
                .file_stem()
                .map_or("machine".into(), |s| s.to_string_lossy().into_owned());
            let name = profile.hostname.clone().unwrap_or(stem);
            cluster.machines.push(Machine {
                name: Some(name),
                count: 1,
                profile,
            });
        }
    }
    if let Some(path) = links {
        let origin = Origin(path);
        let what = format!("links {origin}");
        let text = origin.read()?;
        let value: Json = if origin.is_yaml() {
            input::yaml(&what, &text)?
        } else {
            serde_json::from_str(&text).with_context(|| format!("{what} is not valid JSON"))?
        };
        // A list of links, or a document with a `links` list; read as the latter, so an error
        // names the path of the bad field (`links[1].class`).
        let value = match value {
            Json::Array(list) => serde_json::json!({ "links": list }),
            other => other,
        };
        let extra = input::from_value::<Links>(&what, value)?.links;
        cluster.links.extend(extra);
    }
    unique_names(&mut cluster);
    Ok(cluster)
}

/// A links file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Links {
    links: Vec<Link>,
}

fn empty() -> Cluster {
    Cluster {
        schema_version: CLUSTER_SCHEMA_VERSION,
        name: None,
        machines: Vec::new(),
        links: Vec::new(),
    }
}

/// Names a second machine of one name `NAME-2`, a third `NAME-3`, and so on.
fn unique_names(cluster: &mut Cluster) {
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for m in &mut cluster.machines {
        let Some(name) = m.name.clone() else { continue };
        let n = seen.entry(name.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            m.name = Some(format!("{name}-{n}"));
        }
    }
}

/// Folds machines of the same hardware into one machine with their summed count, named as the
/// first, unless a link names one of them (a link needs its machine to stay apart). Hardware is
/// the profile without what differs between two identical machines or two readings of one: its
/// identity (host name, device id, GPU UUIDs), when and how it was probed, and the readings of
/// the moment (free memory, temperatures, clocks, power, storage, benchmarks).
fn fold(cluster: Cluster) -> Cluster {
    let named: Vec<&String> = cluster.links.iter().flat_map(|l| &l.machines).collect();
    let mut out = Cluster {
        machines: Vec::new(),
        ..cluster.clone()
    };
    let mut keys: Vec<Option<Json>> = Vec::new();
    for m in cluster.machines {
        let pinned = m.name.as_ref().is_some_and(|n| named.contains(&n));
        let key = (!pinned).then(|| hardware(&m.profile));
        if let Some(i) = key
            .as_ref()
            .and_then(|k| keys.iter().position(|x| x.as_ref() == Some(k)))
        {
            out.machines[i].count += m.count;
            continue;
        }
        keys.push(key);
        out.machines.push(m);
    }
    out
}

/// The profile as JSON without the fields two machines of the same hardware differ in.
fn hardware(profile: &HardwareProfile) -> Json {
    let mut v = serde_json::to_value(profile).unwrap_or_default();
    let Some(o) = v.as_object_mut() else {
        return v;
    };
    for key in [
        "probe",
        "device_id",
        "hostname",
        "bandwidth_gbps",
        "storage",
        "power",
        "thermal",
        "benchmarks",
        "redactions",
        "errors",
    ] {
        o.remove(key);
    }
    if let Some(mem) = o.get_mut("memory").and_then(Json::as_object_mut) {
        for key in ["available_bytes", "cgroup_usage_bytes", "swap_used_bytes"] {
            mem.remove(key);
        }
    }
    if let Some(accs) = o.get_mut("accelerators").and_then(Json::as_array_mut) {
        for acc in accs.iter_mut().filter_map(Json::as_object_mut) {
            for key in [
                "uuid",
                "memory_free_bytes",
                "sm_mhz",
                "power_draw_w",
                "temperature_c",
                "throttle_reasons",
                "ecc_uncorrected_errors",
            ] {
                acc.remove(key);
            }
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// discover

/// How commands reach a host: the ssh command's words, the remote trainfit, the time limit.
struct Remote {
    ssh: Vec<String>,
    trainfit: String,
    timeout: Duration,
}

impl Remote {
    fn new(ssh: &str, trainfit: &str, timeout: f64) -> anyhow::Result<Self> {
        let words: Vec<String> = ssh.split_whitespace().map(String::from).collect();
        if words.is_empty() {
            anyhow::bail!("--ssh is empty, expected a command such as `ssh`");
        }
        if !(timeout.is_finite() && timeout > 0.0 && timeout <= 3600.0) {
            anyhow::bail!("--timeout is {timeout}, expected seconds from 0 to 3600");
        }
        Ok(Remote {
            ssh: words,
            trainfit: trainfit.to_string(),
            timeout: Duration::from_secs_f64(timeout),
        })
    }

    /// `<ssh> <host> <trainfit> <args>`.
    fn command(&self, host: &str, args: &[&str]) -> Command {
        let mut c = Command::new(&self.ssh[0]);
        c.args(&self.ssh[1..])
            .arg(host)
            .arg(&self.trainfit)
            .args(args)
            .stdin(Stdio::null());
        c
    }

    /// Runs `args` on `host` to its end, within the time limit; its standard output, or why not.
    fn output(&self, host: &str, args: &[&str]) -> Result<String, String> {
        let mut child = self
            .command(host, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.ssh[0]))?;
        let out = drain(child.stdout.take());
        let err = drain(child.stderr.take());
        let status = wait(&mut child, self.timeout);
        let (out, err) = (
            out.join().unwrap_or_default(),
            err.join().unwrap_or_default(),
        );
        match status {
            None => Err(format!("no answer within {} s", self.timeout.as_secs_f64())),
            Some(s) if s.success() => Ok(out),
            Some(s) => Err(format!(
                "{} ({s})",
                last_line(&err).unwrap_or("the command failed")
            )),
        }
    }
}

/// A thread reading a pipe to its end.
fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut text);
        }
        text
    })
}

/// Waits for `child` up to `limit`; kills it and gives `None` past that.
fn wait(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(s)) => return Some(s),
            Ok(None) if start.elapsed() < limit => thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

fn last_line(text: &str) -> Option<&str> {
    text.lines().rev().map(str::trim).find(|l| !l.is_empty())
}

fn discover(
    remote: &Remote,
    hosts: &[String],
    pairs: Pairs,
    addresses: &BTreeMap<String, String>,
    seconds: f64,
) -> anyhow::Result<Cluster> {
    // Every host at once: a probe takes seconds, a dead host a whole time-out.
    let answers: Vec<(String, Result<HardwareProfile, String>)> = thread::scope(|s| {
        let jobs: Vec<_> = hosts
            .iter()
            .map(|h| {
                s.spawn(move || {
                    let profile = remote.output(h, &["probe", "--json"]).and_then(|text| {
                        parse_profile(&text).map_err(|e| format!("its profile: {e}"))
                    });
                    (h.clone(), profile)
                })
            })
            .collect();
        jobs.into_iter()
            .map(|j| {
                j.join()
                    .unwrap_or_else(|_| (String::new(), Err("crashed".into())))
            })
            .collect()
    });
    let mut cluster = empty();
    for (host, answer) in answers {
        match answer {
            Ok(profile) => cluster.machines.push(Machine {
                name: Some(host),
                count: 1,
                profile,
            }),
            Err(why) => eprintln!("trainfit cluster discover: {host}: {why}"),
        }
    }
    if cluster.machines.is_empty() {
        anyhow::bail!("no host answered (of {})", hosts.join(", "));
    }
    unique_names(&mut cluster);
    let n = cluster.machines.len();
    let tested: Vec<(usize, usize)> = match pairs {
        Pairs::None => Vec::new(),
        Pairs::Pairwise => (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect(),
        Pairs::Ring if n == 2 => vec![(0, 1)],
        Pairs::Ring if n > 2 => (0..n).map(|a| (a, (a + 1) % n)).collect(),
        Pairs::Ring => Vec::new(),
    };
    // One test at a time: two at once would share the links they measure.
    for (a, b) in tested {
        let (x, y) = (&cluster.machines[a], &cluster.machines[b]);
        let (hx, hy) = (
            x.name.clone().unwrap_or_default(),
            y.name.clone().unwrap_or_default(),
        );
        match measure(remote, &hx, &hy, address(addresses, &hy), seconds) {
            Ok(result) => {
                if let Some(link) = measured_link(x, y, &result) {
                    cluster.links.push(link);
                } else {
                    eprintln!("trainfit cluster discover: {hx} to {hy}: the test measured nothing");
                }
            }
            Err(why) => eprintln!("trainfit cluster discover: {hx} to {hy}: {why}"),
        }
    }
    Ok(cluster)
}

/// The address `net test` reaches `host` at: as given with `--address`, else the ssh name
/// without its `user@`.
fn address<'a>(addresses: &'a BTreeMap<String, String>, host: &'a str) -> &'a str {
    addresses
        .get(host)
        .map_or_else(|| host.rsplit('@').next().unwrap_or(host), String::as_str)
}

/// `net serve --once` on `server`, then `net test` from `client` to it.
fn measure(
    remote: &Remote,
    client: &str,
    server: &str,
    server_address: &str,
    seconds: f64,
) -> Result<NetworkBenchmark, String> {
    let mut serve = remote
        .command(server, &["net", "serve", "--bind", "0.0.0.0:0", "--once"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", remote.ssh[0]))?;
    // The server says where it listens on its standard error; its port is the one to test.
    let (tx, rx) = mpsc::channel();
    let stderr = serve.stderr.take();
    let reader = thread::spawn(move || {
        let mut lines = Vec::new();
        if let Some(e) = stderr {
            for line in BufReader::new(e).lines().map_while(Result::ok) {
                let _ = tx.send(line.clone());
                lines.push(line);
            }
        }
        lines.join("\n")
    });
    let deadline = Instant::now() + remote.timeout;
    let mut port = None;
    while port.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => port = listening_port(&line),
            Err(_) => break,
        }
    }
    let result = port.map(|port| {
        let peer = format!("{server_address}:{port}");
        let secs = format!("{seconds}");
        remote
            .output(
                client,
                &["net", "test", &peer, "--seconds", &secs, "--json"],
            )
            .and_then(|text| {
                serde_json::from_str::<NetworkBenchmark>(&text)
                    .map_err(|e| format!("its result is not a network test: {e}"))
            })
    });
    // `--once` ends the server after the test; one that did not start or hangs is stopped.
    wait(&mut serve, Duration::from_secs(5));
    let log = reader.join().unwrap_or_default();
    result.unwrap_or_else(|| {
        Err(format!(
            "net serve on {server} did not start: {}",
            last_line(&log).unwrap_or("no message")
        ))
    })
}

/// The port of `trainfit net serve`'s line `trainfit net: listening on ADDRESS:PORT; ...`.
fn listening_port(line: &str) -> Option<u16> {
    let rest = line.split("listening on ").nth(1)?;
    let address = rest.split(';').next()?;
    address.rsplit(':').next()?.trim().parse().ok()
}

/// The link a test measured between two machines: the class their profiles' interfaces give
/// (Ethernet when they give none), the slower direction's throughput shared by the devices of
/// the larger machine, and half the round trip.
fn measured_link(x: &Machine, y: &Machine, r: &NetworkBenchmark) -> Option<Link> {
    let gbps = match (r.send_gbps, r.receive_gbps) {
        (Some(s), Some(v)) => s.value.min(v.value),
        (s, v) => s.or(v)?.value,
    };
    if !(gbps.is_finite() && gbps > 0.0) {
        return None;
    }
    let pair = Cluster {
        machines: vec![
            Machine {
                name: Some("a".into()),
                count: 1,
                profile: x.profile.clone(),
            },
            Machine {
                name: Some("b".into()),
                count: 1,
                profile: y.profile.clone(),
            },
        ],
        ..empty()
    };
    let class = pair
        .resolve()
        .map_or(LinkClass::Ethernet, |r| r.between(0, 1).class);
    let devices = |m: &Machine| trainfit_core::plan::device(&m.profile).map_or(1, |d| d.count);
    let shared = devices(x).max(devices(y)) as f64;
    Some(Link {
        machines: vec![
            x.name.clone().unwrap_or_default(),
            y.name.clone().unwrap_or_default(),
        ],
        class,
        // Gbit/s to GB/s.
        bandwidth_gbs: Some(Value {
            value: gbps / 8.0 / shared,
            source: Source::Measured,
        }),
        latency_us: r.latency_us.map(|l| Value {
            value: l.value / 2.0,
            source: Source::Measured,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_of_the_serve_line() {
        assert_eq!(
            listening_port("trainfit net: listening on 0.0.0.0:40123; run `trainfit net test HOST:40123` on the other host"),
            Some(40123)
        );
        assert_eq!(listening_port("[::]:7070"), None);
        assert_eq!(
            listening_port("trainfit net: listening on [::]:7070; run"),
            Some(7070)
        );
    }

    #[test]
    fn addresses_drop_the_user() {
        let mut map = BTreeMap::new();
        map.insert("mac1".to_string(), "169.254.1.2".to_string());
        assert_eq!(address(&map, "mac1"), "169.254.1.2");
        assert_eq!(address(&map, "me@node7"), "node7");
    }
}
