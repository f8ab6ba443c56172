//! Hostile input stays harmless and bounded: huge manifests, files that are not files, bytes that
//! are not text. Each run of the binary is bounded by a watchdog that kills it and fails the test:
//! a bound against hanging for ever, not a timing assertion.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::{Run, ecsdeploy, manifest_copy, root, write};

/// Longer than any of these runs takes on a loaded machine (well under a second each); a run
/// still going then hangs, or has become quadratic again.
const WATCHDOG: Duration = Duration::from_secs(20);

/// Runs `command`, killing it and failing the test if it is still running after [`WATCHDOG`].
fn run_bounded(command: &mut Command) -> Run {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start ecsdeploy");
    // Read both pipes while waiting: a full pipe would otherwise stop the child.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let stdout = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let stderr = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let deadline = Instant::now() + WATCHDOG;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for ecsdeploy") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ecsdeploy was still running after {WATCHDOG:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: text(stdout.join().expect("stdout reader")),
        stderr: text(stderr.join().expect("stderr reader")),
    }
}

/// `validate -o json -f directory`, bounded.
fn validate_json(directory: &Path) -> (Run, Vec<serde_json::Value>) {
    let run = run_bounded(ecsdeploy(&["validate", "--output", "json", "-f"]).arg(directory));
    let problems = run.json()["problems"].as_array().cloned().unwrap_or_default();
    (run, problems)
}

fn messages(problems: &[serde_json::Value]) -> Vec<String> {
    problems
        .iter()
        .map(|problem| {
            format!(
                "{}:{}:{}: {}",
                problem["file"].as_str().unwrap_or("?"),
                problem["line"],
                problem["column"],
                problem["message"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// 2,000 services in three environments: every check runs on all 6,000 deployed services, each
/// with its own path and priority, and only the ALB's quotas are exceeded. (Comparing every pair of
/// services took 38 s here; the checks now go through maps and indexes.)
#[test]
fn validate_checks_two_thousand_services_in_three_environments() {
    const SERVICES: usize = 2000;
    let shipped = std::fs::read_to_string(root().join("services.toml")).unwrap();
    let (project, _) = shipped.split_once("[services.auth]").expect("the shipped manifest has auth");
    let mut services = project.to_string();
    for index in 0..SERVICES {
        services.push_str(&format!(
            "[services.s{index}]\npath = \"/s{index}/*\"\n[services.s{index}.env]\nLOG_LEVEL = \"info\"\n\n"
        ));
    }
    let directory = tempfile::tempdir().unwrap();
    write(directory.path(), "services.toml", &services);
    for (number, environment) in ["prod", "stage", "test"].into_iter().enumerate() {
        let mut text = format!("domain = \"{environment}.api.acme.example\"\n");
        for index in 0..SERVICES {
            text.push_str(&format!("[services.s{index}]\npriority = {}\n", number * SERVICES + index + 1));
        }
        write(directory.path(), &format!("environments/{environment}.toml"), &text);
    }
    let (run, problems) = validate_json(directory.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        messages(&problems),
        [
            "services.toml:16:8: environments prod, stage, test together need 6000 target groups and 6000 listener rules on ALB acme; an ALB takes 100 target groups (an AWS quota that cannot be raised) and 100 rules by default",
        ]
    );
}

/// The same services within the quotas (one environment, 100 services) pass.
#[test]
fn validate_accepts_a_hundred_generated_services() {
    let directory = manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let (project, _) = services.split_once("[services.auth]").unwrap();
    let mut text = project.to_string();
    for index in 0..100 {
        text.push_str(&format!("[services.s{index}]\npath = \"/s{index}/*\"\npriority = {}\n\n", index + 1));
    }
    write(directory.path(), "services.toml", &text);
    for environment in ["prod", "test"] {
        std::fs::remove_file(directory.path().join(format!("environments/{environment}.toml"))).unwrap();
    }
    let run = run_bounded(ecsdeploy(&["validate", "-f"]).arg(directory.path()));
    assert_eq!(run.code, 0, "{}", run.transcript());
    assert_eq!(run.stdout, "The manifest is valid: 100 services in environments stage.\n");
}

/// `mkfifo path`: a named pipe, which blocks a reader until someone writes to it.
fn make_fifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A named pipe or a device as a manifest file is refused, named, with what to do, and the other
/// files are still checked; it is never opened, so nothing blocks or streams for ever.
#[test]
fn files_that_are_not_regular_files_are_refused() {
    let directory = manifest_copy();
    let stage = directory.path().join("environments/stage.toml");
    std::fs::remove_file(&stage).unwrap();
    make_fifo(&stage);
    let prod = directory.path().join("environments/prod.toml");
    std::fs::remove_file(&prod).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &prod).unwrap();
    write(directory.path(), "environments/test.toml", "prefix = \"test-\"\nbogus = 1\n");
    let (run, problems) = validate_json(directory.path());
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(
        messages(&problems),
        [
            "environments/prod.toml:1:1: environments/prod.toml is a device, not a regular file",
            "environments/stage.toml:1:1: environments/stage.toml is a named pipe (FIFO), not a regular file",
            "environments/test.toml:2:1: unknown key `bogus` in environment `test`",
        ]
    );
    assert_eq!(
        problems[0]["help"],
        "ecsdeploy reads manifest files only from regular files (a symbolic link to one is fine): put the file itself here"
    );
    // The text view says the same, with the help.
    assert!(
        run.stderr.contains("environments/stage.toml is a named pipe (FIFO), not a regular file"),
        "{}",
        run.stderr
    );

    let directory = manifest_copy();
    let services = directory.path().join("services.toml");
    std::fs::remove_file(&services).unwrap();
    make_fifo(&services);
    let (run, problems) = validate_json(directory.path());
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(messages(&problems), ["services.toml:1:1: services.toml is a named pipe (FIFO), not a regular file"]);
}

/// A symbolic link to a regular file is read like the file.
#[test]
fn a_symbolic_link_to_a_manifest_file_is_read() {
    let directory = manifest_copy();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::rename(directory.path().join("services.toml"), elsewhere.path().join("services.toml")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("services.toml"), directory.path().join("services.toml")).unwrap();
    let run = run_bounded(ecsdeploy(&["validate", "-f"]).arg(directory.path()));
    assert_eq!(run.code, 0, "{}", run.transcript());
}

/// A file over the size limit (4 MiB) is refused without being read whole.
#[test]
fn files_over_the_size_limit_are_refused() {
    let directory = manifest_copy();
    // Sparse: 5 GiB on paper, nothing on disk.
    let huge = std::fs::File::create(directory.path().join("environments/stage.toml")).unwrap();
    huge.set_len(5 << 30).unwrap();
    // Just over the limit, with real content: a 1 MB value repeated.
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let padding = format!("# {}\n", "x".repeat(1 << 20)).repeat(4);
    write(directory.path(), "services.toml", &format!("{services}{padding}"));
    let (run, problems) = validate_json(directory.path());
    assert_eq!(run.code, 1, "{}", run.transcript());
    let size = services.len() + padding.len();
    assert_eq!(
        messages(&problems),
        [
            format!("services.toml:1:1: services.toml is {size} bytes, larger than the 4 MiB ecsdeploy reads of a manifest file"),
            "environments/stage.toml:1:1: environments/stage.toml is 5368709120 bytes, larger than the 4 MiB ecsdeploy reads of a manifest file".to_string(),
        ]
    );
}

/// Bytes that are not UTF-8 are a problem at their line and column, not an I/O error.
#[test]
fn invalid_utf8_is_reported_at_its_position() {
    let directory = manifest_copy();
    let mut stage = std::fs::read(directory.path().join("environments/stage.toml")).unwrap();
    stage.extend_from_slice(b"\n[tags]\nTeam = \"caf\xe9\"\n");
    let lines = stage.iter().filter(|byte| **byte == b'\n').count();
    std::fs::write(directory.path().join("environments/stage.toml"), &stage).unwrap();
    let (run, problems) = validate_json(directory.path());
    assert_eq!(run.code, 1, "{}", run.transcript());
    assert_eq!(
        messages(&problems),
        [format!("environments/stage.toml:{lines}:12: invalid UTF-8: byte 0xe9 here is not part of a character")]
    );
}

/// Thousands of overrides of services `services.toml` does not define, against thousands of
/// services: each is reported, the first ones with a suggestion, and no help lists every service
/// (that was 2,000 names under each of 2,000 problems, after 4 million name comparisons).
#[test]
fn thousands_of_unknown_overrides_stay_linear() {
    const SERVICES: usize = 2000;
    let directory = manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let (project, _) = services.split_once("[services.auth]").unwrap();
    let mut text = project.to_string();
    for index in 0..SERVICES {
        text.push_str(&format!("[services.s{index}]\npath = \"/s{index}/*\"\nenabled = false\n\n"));
    }
    write(directory.path(), "services.toml", &text);
    let mut stage = String::from("[services.s1x]\ncpu = 256\n");
    for index in 0..SERVICES {
        stage.push_str(&format!("[services.unknown-service-{index}]\ncpu = 256\n"));
    }
    write(directory.path(), "environments/stage.toml", &stage);
    for environment in ["prod", "test"] {
        std::fs::remove_file(directory.path().join(format!("environments/{environment}.toml"))).unwrap();
    }
    let (run, problems) = validate_json(directory.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(problems.len(), SERVICES + 1);
    assert_eq!(problems[0]["help"], "did you mean `s1`?");
    assert_eq!(problems[SERVICES]["help"], "services.toml defines 2000 services; none is named `unknown-service-1999`");
    assert!(run.stderr.len() < 2 << 20, "{} bytes of report", run.stderr.len());
}

/// A list of 60,000 project tags (under the file limit; with the shipped ones, 60,006 in all) is counted, not merged tag by tag for
/// each of the services (which took hours): each service is refused once per environment.
#[test]
fn a_huge_tag_list_is_counted_once_per_service() {
    let directory = manifest_copy();
    let services = std::fs::read_to_string(directory.path().join("services.toml")).unwrap();
    let tags: String = (0..60_000).map(|index| format!("t{index} = \"v\"\n")).collect();
    write(directory.path(), "services.toml", &services.replace("[project.tags]\n", &format!("[project.tags]\n{tags}")));
    let (run, problems) = validate_json(directory.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let messages = messages(&problems);
    assert_eq!(messages.len(), 12, "{messages:#?}");
    assert!(
        messages.iter().all(|message| message.ends_with("would carry 60006 tags; AWS allows 50 per resource")),
        "{messages:#?}"
    );
}
