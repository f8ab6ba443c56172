//! The manifest reader on hostile input: thousands of seeded mutations of the shipped manifest
//! (flipped bytes, cuts, duplicated lines, deleted brackets, random Unicode, huge numbers, nesting
//! 10,000 deep) go through the library's loading and checking. None may panic; every problem must
//! point into a file that exists, at a line it has; and the rendered report must carry no control
//! character a terminal would act on. The work is bounded by the number of cases, not a clock.

use ecsdeploy::checked;
use ecsdeploy::desired::{self, Context};
use ecsdeploy::manifest::{self, ManifestError, Problem, SourceMap, Span};
use ecsdeploy::output::diagnostics;
use std::panic::AssertUnwindSafe;

/// Cases per run; each loads a whole manifest (about 2 ms in a debug build).
const CASES: usize = 3000;
/// Change to explore other inputs; a failure names the case to replay.
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// xorshift64*: deterministic, so a failure reproduces from the seed and the case number.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Characters that TOML, terminals and byte counting find interesting: escapes, line and
/// paragraph separators, bidirectional overrides, a BOM, wide and combining characters.
const UNICODE: &[char] = &[
    '\u{0}',
    '\u{7}',
    '\u{8}',
    '\u{1b}',
    '\r',
    '\u{7f}',
    '\u{85}',
    '\u{9b}',
    '\u{a0}',
    '\u{ad}',
    'é',
    '\u{301}',
    '\u{200b}',
    '\u{200d}',
    '\u{2028}',
    '\u{2029}',
    '\u{202e}',
    '\u{2066}',
    '\u{feff}',
    '\u{fffd}',
    '\u{ffff}',
    '日',
    '🦀',
    '\u{10ffff}',
    '"',
    '\'',
    '\\',
    '[',
    ']',
    '{',
    '}',
    '=',
    '#',
    '.',
    ',',
    '\n',
    '\t',
    ' ',
];

const HUGE_NUMBERS: &[&str] = &[
    "99999999999999999999999",
    "-99999999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "0xffffffffffffffffffff",
    "0o7777777777777777777777777",
    "0b11111111111111111111111111111111111111111111111111111111111111111",
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "1_000_000_000_000_000_000_000",
];

/// A change to a file's bytes.
type Mutation = fn(&mut Vec<u8>, &mut Random);

/// The mutations; each takes the file's bytes and changes them once.
const MUTATIONS: &[(&str, Mutation)] = &[
    ("flip a byte", flip_byte),
    ("cut the file", truncate),
    ("duplicate a line", duplicate_line),
    ("delete a bracket or quote", delete_bracket),
    ("insert Unicode", insert_unicode),
    ("replace a number by a huge one", huge_number),
    ("nest 10,000 deep", deep_nesting),
    ("delete a range", delete_range),
];

// Every mutation has the same signature, most of them change the length.
#[allow(clippy::ptr_arg)]
fn flip_byte(bytes: &mut Vec<u8>, random: &mut Random) {
    if !bytes.is_empty() {
        let at = random.below(bytes.len());
        bytes[at] ^= 1 << random.below(8);
    }
}

fn truncate(bytes: &mut Vec<u8>, random: &mut Random) {
    bytes.truncate(random.below(bytes.len() + 1));
}

fn duplicate_line(bytes: &mut Vec<u8>, random: &mut Random) {
    let starts: Vec<usize> =
        std::iter::once(0).chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1)).collect();
    let line = random.below(starts.len());
    let start = starts[line];
    let end = starts.get(line + 1).copied().unwrap_or(bytes.len());
    let copy = bytes[start..end].to_vec();
    for _ in 0..=random.below(3) {
        let to = *random.pick(&starts);
        bytes.splice(to..to, copy.iter().copied());
    }
}

fn delete_bracket(bytes: &mut Vec<u8>, random: &mut Random) {
    let positions: Vec<usize> =
        bytes.iter().enumerate().filter(|(_, b)| b"[]{}\"'".contains(b)).map(|(i, _)| i).collect();
    if !positions.is_empty() {
        bytes.remove(*random.pick(&positions));
    }
}

fn insert_unicode(bytes: &mut Vec<u8>, random: &mut Random) {
    for _ in 0..=random.below(5) {
        let mut encoded = [0; 4];
        let character = random.pick(UNICODE).encode_utf8(&mut encoded).as_bytes().to_vec();
        let to = random.below(bytes.len() + 1);
        bytes.splice(to..to, character);
    }
}

fn huge_number(bytes: &mut Vec<u8>, random: &mut Random) {
    let digits: Vec<usize> = bytes
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| pair[0] == b' ' && pair[1].is_ascii_digit())
        .map(|(i, _)| i + 1)
        .collect();
    let number = random.pick(HUGE_NUMBERS).as_bytes();
    if digits.is_empty() {
        bytes.extend_from_slice(format!("\nhuge = {}\n", String::from_utf8_lossy(number)).as_bytes());
    } else {
        let start = *random.pick(&digits);
        let end = start + bytes[start..].iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        bytes.splice(start..end, number.iter().copied());
    }
}

fn deep_nesting(bytes: &mut Vec<u8>, random: &mut Random) {
    const DEPTH: usize = 10_000;
    let nested = match random.below(5) {
        0 => format!("deep = {}{}", "[".repeat(DEPTH), "]".repeat(DEPTH)),
        1 => format!("deep = {}1{}", "{a = ".repeat(DEPTH), "}".repeat(DEPTH)),
        2 => format!("deep{} = 1", ".a".repeat(DEPTH)),
        3 => format!("[deep{}]", ".a".repeat(DEPTH)),
        _ => format!("deep = {}", "[".repeat(DEPTH)),
    };
    // At a line start, so that it is a key of whichever table comes before.
    let starts: Vec<usize> =
        std::iter::once(0).chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1)).collect();
    let to = *random.pick(&starts);
    bytes.splice(to..to, format!("{nested}\n").into_bytes());
}

fn delete_range(bytes: &mut Vec<u8>, random: &mut Random) {
    let at = random.below(bytes.len() + 1);
    let end = (at + random.below(200)).min(bytes.len());
    bytes.drain(at..end);
}

/// The shipped manifest: `services.toml` and each environment file, as bytes.
fn shipped() -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let services = std::fs::read(root.join("services.toml")).unwrap();
    let mut environments: Vec<(String, Vec<u8>)> = std::fs::read_dir(root.join("environments"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .map(|path| (path.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap()))
        .collect();
    environments.sort();
    assert!(environments.len() >= 3, "{environments:?}");
    (services, environments)
}

/// `span` points into a file of `sources`, within its text, and so at one of its lines.
fn assert_located(sources: &SourceMap, span: Span, problem: &Problem) {
    let file = sources.file(span.file).unwrap_or_else(|| panic!("no file for {problem:?}"));
    assert!(span.start <= span.end && span.end <= file.text.len(), "span outside {}: {problem:?}", file.name);
    let lines = file.text.matches('\n').count() + 1;
    let position = sources.line_column(span);
    assert!((1..=lines).contains(&position.line), "line {} of {lines} in {}: {problem:?}", position.line, file.name);
    assert!(position.column >= 1, "{problem:?}");
}

/// Loads one case and checks what comes out; panics (with the reason) on anything wrong.
fn check_case(services: &[u8], environments: &[(&str, &[u8])]) -> bool {
    match checked::finish(manifest::load_from_bytes(services, environments)) {
        Ok(checked) => {
            for environment in &checked.manifest.environments {
                desired::build(&checked.manifest, environment, &Context::new("us-east-1", None));
            }
            true
        }
        Err(ManifestError::Invalid { sources, problems }) => {
            assert!(!problems.is_empty(), "invalid without a problem");
            for problem in &problems {
                assert_located(&sources, problem.span, problem);
                for (span, _) in &problem.related {
                    assert_located(&sources, *span, problem);
                }
                let located = diagnostics::locate(&sources, problem);
                assert!(!located.file.is_empty() && located.line >= 1, "{located:?}");
            }
            let rendered = diagnostics::render_text(&sources, &problems, false);
            let control = rendered.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\t'));
            assert_eq!(control, None, "a raw control character in the report:\n{rendered}");
            assert!(rendered.contains("in the manifest"), "{rendered}");
            false
        }
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[test]
fn thousands_of_hostile_manifests_load_without_panicking_and_every_problem_is_located() {
    let (services, environments) = shipped();
    let mut random = Random(SEED);
    let mut used = vec![0usize; MUTATIONS.len()];
    let (mut accepted, mut rejected) = (0, 0);
    for case in 0..CASES {
        let mut services = services.clone();
        let mut environments = environments.clone();
        let mut applied = Vec::new();
        for _ in 0..=random.below(3) {
            let index = random.below(MUTATIONS.len());
            let target = random.below(environments.len() + 1);
            let bytes = if target == 0 { &mut services } else { &mut environments[target - 1].1 };
            (MUTATIONS[index].1)(bytes, &mut random);
            used[index] += 1;
            applied.push(MUTATIONS[index].0);
        }
        let borrowed: Vec<(&str, &[u8])> =
            environments.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())).collect();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| check_case(&services, &borrowed)));
        match outcome {
            Ok(true) => accepted += 1,
            Ok(false) => rejected += 1,
            Err(_) => {
                let kept = std::env::temp_dir().join(format!("ecsdeploy-fuzz-case-{case}"));
                let _ = std::fs::create_dir_all(kept.join("environments"));
                let _ = std::fs::write(kept.join("services.toml"), &services);
                for (name, bytes) in &environments {
                    let _ = std::fs::write(kept.join(format!("environments/{name}.toml")), bytes);
                }
                panic!("case {case} (seed {SEED:#x}) failed after {applied:?}; its files are in {}", kept.display());
            }
        }
    }
    // Every mutation ran, and both outcomes are common enough for the test to mean something.
    assert!(used.iter().all(|count| *count > 100), "{used:?}");
    assert!(accepted > 200 && rejected > 1000, "accepted {accepted}, rejected {rejected}");
}
