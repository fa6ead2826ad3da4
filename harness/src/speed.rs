//! `authlings dev bench-servers`: how fast each step's solution answers a
//! signed-in `GET /api/me`, against an axum hello-world built from the
//! kit's own axum (the ceiling), in one run on one machine.
//!
//! Everything is built in release. Each server is started as the grader
//! starts it (a fresh data folder, a random `SESSION_SECRET`), signed in
//! once, and then driven by a load generator of our own: `connections`
//! keep-alive connections on a tokio runtime, each sending the next request
//! as soon as the answer is read, for a fixed time after a warm-up. The
//! same is done with a forged cookie (the signed-out path). Latencies are
//! kept whole and sorted for the percentiles.
//!
//! Client and servers share the machine's cores, as they would with wrk:
//! the absolute numbers say little, the ratios to the ceiling say how much
//! a step's sessions cost. The ceiling runs all along and each load is
//! measured in rounds, each beside a round of the ceiling, so that a busy
//! moment of the machine moves one round's ratio, and the median of the
//! rounds not at all.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::ExitCode,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    process::Command,
};

use crate::{
    compile,
    fixtures::{self, User},
    http::Http,
    microsoft::{self, Microsoft},
    provider::{self, Provider},
    runner,
    sandbox::{self, Sandbox},
    server::{self, Launch, Program, Server},
    steps::Step,
};

#[derive(Clone)]
pub struct BenchArgs {
    /// The steps to measure (default: all).
    pub steps: Vec<&'static Step>,
    pub connections: usize,
    /// Measured time of one round.
    pub duration: Duration,
    /// Load before each round's measured time.
    pub warmup: Duration,
    /// Rounds of each load, each beside a round of the ceiling.
    pub rounds: usize,
    /// Threads of the load generator's runtime.
    pub client_threads: usize,
}

/// One measured load over all its rounds: a server, signed in or not.
#[derive(Clone, Debug)]
pub struct Measured {
    pub name: String,
    pub requests: u64,
    /// Answers with another status than the one expected.
    pub unexpected: u64,
    pub per_second: f64,
    /// This load's req/s over the ceiling's in the round beside it, one a
    /// round, sorted.
    pub ratios: Vec<f64>,
    pub p50: Duration,
    pub p99: Duration,
    pub rss_idle_kib: Option<u64>,
    pub rss_loaded_kib: Option<u64>,
}

pub async fn run(root: &Path, args: BenchArgs) -> ExitCode {
    match measure_all(root, &args).await {
        Ok(rows) => {
            print!("{}", table(&rows, &args));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn measure_all(root: &Path, args: &BenchArgs) -> anyhow::Result<Vec<Measured>> {
    eprintln!("building the ceiling and the solutions in release...");
    let ceiling = build_release(&root.join("harness/ceiling/Cargo.toml")).await?;
    let mut binaries = Vec::new();
    for step in &args.steps {
        let manifest = step.solution_dir(root).join("Cargo.toml");
        binaries.push((*step, build_release(&manifest).await?));
    }
    // The ceiling runs for the whole bench and is measured beside every
    // round of every step: a machine busy for a moment then slows both
    // sides of that round's ratio, not every ratio of the run.
    let launch = Launch {
        program: Program::Binary(ceiling),
        cwd: root.to_owned(),
        env: vec![("HOST".into(), "127.0.0.1".into())],
        ready_within: Duration::from_secs(30),
    };
    let mut ceiling = Server::start(&launch, server::free_port())
        .await
        .map_err(|f| anyhow::anyhow!("the ceiling did not start: {}\n{}", f.reason, f.log))?;
    let mut pairs = Pairs { ceiling: &ceiling, rounds: Vec::new(), args };
    let mut rows = Vec::new();
    let mut failed = None;
    for (step, binary) in binaries {
        match measure_step(root, step, &binary, &mut pairs).await {
            Ok(measured) => rows.extend(measured),
            Err(error) => {
                failed = Some(error);
                break;
            }
        }
    }
    let ceiling_rounds = std::mem::take(&mut pairs.rounds);
    ceiling.stop().await;
    if let Some(error) = failed {
        return Err(error);
    }
    rows.insert(0, summary("ceiling (axum hello-world)", ceiling_rounds, vec![1.0], args));
    Ok(rows)
}

/// The ceiling, and its rounds so far.
struct Pairs<'a> {
    ceiling: &'a Server,
    rounds: Vec<Round>,
    args: &'a BenchArgs,
}

impl Pairs<'_> {
    /// `args.rounds` rounds of `server` with `cookie`, each beside a round
    /// of the ceiling, in turn first and second so that neither side is
    /// always the one measured on a warmer machine.
    async fn measure(
        &mut self,
        server: &Server,
        name: &str,
        cookie: &str,
        expect: u16,
    ) -> anyhow::Result<Measured> {
        eprintln!("measuring {name}...");
        let (mut rounds, mut ratios) = (Vec::new(), Vec::new());
        for round in 0..self.args.rounds.max(1) {
            let (ceiling, measured) = if round % 2 == 0 {
                let ceiling = drive(self.ceiling, "", 200, self.args).await?;
                (ceiling, drive(server, cookie, expect, self.args).await?)
            } else {
                let measured = drive(server, cookie, expect, self.args).await?;
                (drive(self.ceiling, "", 200, self.args).await?, measured)
            };
            let (theirs, ours) = (measured.per_second(self.args), ceiling.per_second(self.args));
            eprintln!("  round {}: {theirs:.0} req/s, the ceiling {ours:.0}", round + 1);
            ratios.push(theirs / ours.max(1.0));
            self.rounds.push(ceiling);
            rounds.push(measured);
        }
        Ok(summary(name, rounds, ratios, self.args))
    }
}

/// `cargo build --release` of one package; its binary.
pub async fn build_release(manifest: &Path) -> anyhow::Result<PathBuf> {
    let manifest = manifest.canonicalize()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--message-format", "json", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TERM_COLOR", "never");
    let what = manifest.display().to_string();
    compile::run(command, &manifest, &what, true)
        .await
        .map(|built| built.executable)
        .map_err(|failure| anyhow::anyhow!("{}\n{}", failure.summary, failure.diagnostics))
}

/// What a step's server is started with, as the grader starts it.
pub fn step_env(step: &Step, sandbox: &mut Sandbox) -> anyhow::Result<Vec<(String, String)>> {
    let mut env = runner::server_env(sandbox)?;
    if step.has_database {
        env.push(("REMEMBER_TTL_SECS".into(), runner::REMEMBER_TTL_SECS.into()));
    }
    Ok(env)
}

/// Signs a user in on a step's server: step 01's first compiled-in user,
/// a new account from step 02 on. The session cookie's value.
pub async fn sign_in(http: &Http, step: &Step, root: &Path) -> anyhow::Result<String> {
    let reply = if step.has_accounts {
        let user = fixtures::fresh_accounts().remove(0);
        let fields = [("username", user.username.as_str()), ("password", user.password.as_str())];
        let reply = http.post_form("/register", &fields).send().await;
        reply.map_err(|f| anyhow::anyhow!("cannot register: {}", f.got.unwrap_or_default()))?
    } else {
        let User { username, password } = fixtures::users(root)?.remove(0);
        let fields = [("username", username.as_str()), ("password", password.as_str())];
        let reply = http.post_form("/login", &fields).send().await;
        reply.map_err(|f| anyhow::anyhow!("cannot sign in: {}", f.got.unwrap_or_default()))?
    };
    anyhow::ensure!(reply.status == 303, "signing in answered {}", reply.summary());
    reply.new_session().ok_or_else(|| anyhow::anyhow!("signing in set no session cookie"))
}

async fn measure_step(
    root: &Path,
    step: &Step,
    binary: &Path,
    pairs: &mut Pairs<'_>,
) -> anyhow::Result<Vec<Measured>> {
    let mut sandbox = Sandbox::new()?;
    let mut env = step_env(step, &mut sandbox)?;
    let port = server::free_port();
    let provider = if provider::needed_by(step) {
        let provider = Provider::start().await?;
        env.extend(provider.env());
        provider.allow_port(port)?;
        Some(provider)
    } else {
        None
    };
    let microsoft = if microsoft::needed_by(step) {
        let microsoft = Microsoft::start().await?;
        env.extend(microsoft.env());
        microsoft.allow_port(port)?;
        Some(microsoft)
    } else {
        None
    };
    let launch = Launch {
        program: Program::Binary(binary.to_owned()),
        cwd: root.to_owned(),
        env,
        ready_within: Duration::from_secs(30),
    };
    let mut server = Server::start(&launch, port)
        .await
        .map_err(|f| anyhow::anyhow!("step {} did not start: {}\n{}", step.id, f.reason, f.log))?;
    let result = async {
        let cookie = sign_in(&Http::new(&server.base_url), step, root).await?;
        let signed_in = format!("step {} {}", step.id, step.folder);
        let mut rows = vec![pairs.measure(&server, &signed_in, &cookie, 200).await?];
        // A cookie no server signed: refused before any store is asked.
        let forged = format!("{}.{}", sandbox::random_token(), sandbox::random_token());
        let signed_out = format!("step {} signed out (bad cookie)", step.id);
        rows.push(pairs.measure(&server, &signed_out, &forged, 401).await?);
        Ok::<_, anyhow::Error>(rows)
    }
    .await;
    server.stop().await;
    drop(provider);
    drop(microsoft);
    result
}

/// One round of `GET /api/me` on `server` carrying `cookie` (none when empty).
async fn drive(
    server: &Server,
    cookie: &str,
    expect: u16,
    args: &BenchArgs,
) -> anyhow::Result<Round> {
    let pid = server.pgid();
    let rss_idle_kib = rss_kib(pid);
    let address: SocketAddr = format!("127.0.0.1:{}", server.port).parse()?;
    let mut request = format!("GET /api/me HTTP/1.1\r\nHost: {address}\r\n");
    if !cookie.is_empty() {
        request.push_str(&format!("Cookie: session={cookie}\r\n"));
    }
    request.push_str("\r\n");
    let load = Load {
        address,
        request: Arc::from(request.into_bytes()),
        expect,
        connections: args.connections,
        warmup: args.warmup,
        duration: args.duration,
    };
    let threads = args.client_threads;
    // The load has a multi-threaded runtime of its own, beside the
    // harness's one-thread runtime that watches the server.
    let (outcome, rss_loaded_kib) = tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?;
        Ok::<_, std::io::Error>(runtime.block_on(async move {
            // RSS under load: read in the middle of the measured time.
            let sampler = tokio::spawn(async move {
                tokio::time::sleep(load.warmup + load.duration / 2).await;
                rss_kib(pid)
            });
            let outcome = load.run().await;
            (outcome, sampler.await.ok().flatten())
        }))
    })
    .await??;
    let outcome = outcome?;
    Ok(Round {
        latencies: outcome.latencies,
        unexpected: outcome.unexpected,
        rss_idle_kib,
        rss_loaded_kib,
    })
}

/// What one round of load measured.
struct Round {
    /// Nanoseconds, one per request answered in the measured time.
    latencies: Vec<u64>,
    unexpected: u64,
    rss_idle_kib: Option<u64>,
    rss_loaded_kib: Option<u64>,
}

impl Round {
    fn per_second(&self, args: &BenchArgs) -> f64 {
        self.latencies.len() as f64 / args.duration.as_secs_f64()
    }
}

/// A load's rounds as one row: requests and latencies of all rounds
/// together, the ratios, memory before the first round and the
/// most under load.
fn summary(name: &str, rounds: Vec<Round>, mut ratios: Vec<f64>, args: &BenchArgs) -> Measured {
    let rss_idle_kib = rounds.first().and_then(|round| round.rss_idle_kib);
    let rss_loaded_kib = rounds.iter().filter_map(|round| round.rss_loaded_kib).max();
    let unexpected = rounds.iter().map(|round| round.unexpected).sum();
    let count = rounds.len().max(1);
    let mut latencies: Vec<u64> = rounds.into_iter().flat_map(|round| round.latencies).collect();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let n = latencies.len();
        if n == 0 {
            return Duration::ZERO;
        }
        let index = ((n as f64 * p).ceil() as usize).clamp(1, n) - 1;
        Duration::from_nanos(latencies[index])
    };
    ratios.sort_unstable_by(f64::total_cmp);
    let requests = latencies.len() as u64;
    Measured {
        name: name.to_owned(),
        requests,
        unexpected,
        per_second: requests as f64 / (count as f64 * args.duration.as_secs_f64()),
        ratios,
        p50: percentile(0.50),
        p99: percentile(0.99),
        rss_idle_kib,
        rss_loaded_kib,
    }
}

/// Resident memory of a process, from `/proc/PID/status` (Linux only).
pub fn rss_kib(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Load {
    address: SocketAddr,
    request: Arc<[u8]>,
    expect: u16,
    connections: usize,
    warmup: Duration,
    duration: Duration,
}

struct Outcome {
    /// Nanoseconds, one per request answered in the measured time.
    latencies: Vec<u64>,
    unexpected: u64,
}

impl Load {
    async fn run(&self) -> anyhow::Result<Outcome> {
        let start = Instant::now();
        let (measure_from, until) = (start + self.warmup, start + self.warmup + self.duration);
        let mut tasks = Vec::new();
        for _ in 0..self.connections {
            let (address, request, expect) = (self.address, self.request.clone(), self.expect);
            tasks.push(tokio::spawn(async move {
                connection(address, &request, expect, measure_from, until).await
            }));
        }
        let mut outcome = Outcome { latencies: Vec::new(), unexpected: 0 };
        for task in tasks {
            let one = task.await??;
            outcome.latencies.extend(one.latencies);
            outcome.unexpected += one.unexpected;
        }
        Ok(outcome)
    }
}

/// One keep-alive connection: a request, its whole answer, the next one.
async fn connection(
    address: SocketAddr,
    request: &[u8],
    expect: u16,
    measure_from: Instant,
    until: Instant,
) -> anyhow::Result<Outcome> {
    let mut stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let mut buffer = Vec::with_capacity(4096);
    let mut outcome = Outcome { latencies: Vec::with_capacity(1 << 16), unexpected: 0 };
    loop {
        let sent = Instant::now();
        if sent >= until {
            return Ok(outcome);
        }
        stream.write_all(request).await?;
        let status = read_answer(&mut stream, &mut buffer).await?;
        if sent >= measure_from {
            outcome.latencies.push(sent.elapsed().as_nanos() as u64);
            if status != expect {
                outcome.unexpected += 1;
            }
        }
    }
}

/// Reads one HTTP/1.1 answer with a `Content-Length` (what axum sends for
/// JSON); its status.
async fn read_answer(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> anyhow::Result<u16> {
    buffer.clear();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "the server closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buffer[..head_end])?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("not an HTTP answer: {head:?}"))?;
    let length: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("an answer without Content-Length: {head:?}"))?;
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "the server closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
    }
    Ok(status)
}

impl Measured {
    /// The median ratio to the ceiling.
    pub fn ratio(&self) -> f64 {
        self.ratios.get(self.ratios.len() / 2).copied().unwrap_or(0.0)
    }
}

fn table(rows: &[Measured], args: &BenchArgs) -> String {
    let mut out = format!(
        "GET /api/me, {} connections, {} rounds of {} s after {} s of warm-up, {} client threads, \
         release builds\n\n",
        args.connections,
        args.rounds,
        args.duration.as_secs_f64(),
        args.warmup.as_secs_f64(),
        args.client_threads,
    );
    out.push_str(&format!(
        "| {:<36} | {:>9} | {:>8} | {:>8} | {:>15} | {:>8} | {:>10} | {:>5} |\n",
        "server", "req/s", "p50", "p99", "ceiling", "RSS idle", "RSS loaded", "wrong"
    ));
    out.push_str(&format!(
        "|{:-<38}|{:->11}|{:->10}|{:->10}|{:->17}|{:->10}|{:->12}|{:->7}|\n",
        "", "", "", "", "", "", "", ""
    ));
    let mib =
        |kib: Option<u64>| kib.map_or("?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0));
    let percent = |ratio: f64| format!("{:.0}", 100.0 * ratio);
    for row in rows {
        let spread = match (row.ratios.first(), row.ratios.last()) {
            (Some(low), Some(high)) if row.ratios.len() > 1 => {
                format!("{}% ({}-{})", percent(row.ratio()), percent(*low), percent(*high))
            }
            _ => format!("{}%", percent(row.ratio())),
        };
        out.push_str(&format!(
            "| {:<36} | {:>9.0} | {:>8} | {:>8} | {:>15} | {:>8} | {:>10} | {:>5} |\n",
            row.name,
            row.per_second,
            micros(row.p50),
            micros(row.p99),
            spread,
            mib(row.rss_idle_kib),
            mib(row.rss_loaded_kib),
            row.unexpected,
        ));
    }
    out.push_str(
        "\n`ceiling`: the median, over the rounds, of the row's req/s over the ceiling's in the \
         round beside it (the two take turns going first), and in brackets the lowest and \
         highest. The ceiling's own row is all its rounds together.\n\
         `wrong`: answers with another status than 200 (signed in) or 401 (bad cookie).\n",
    );
    out
}

fn micros(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}
