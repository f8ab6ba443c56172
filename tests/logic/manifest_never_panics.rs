//! `validate` never panics on any input: thousands of deterministic mutations of the shipped
//! manifest (cut, duplicated and garbled bytes) go through the whole pipeline, from parsing to the
//! rendered diagnostics or the desired state of every environment.

use ecsdeploy::checked::load_from_texts;
use ecsdeploy::desired::{self, Context};
use ecsdeploy::manifest::ManifestError;
use ecsdeploy::output::{diagnostics, render_view};

/// xorshift64*: deterministic, so a failure reproduces with the same seed.
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
}

const ALPHABET: &[u8] = b"[]{}=\"'#.,\n -_0123456789azAZ\\\t\xc3\xa9";

fn mutate(text: &str, random: &mut Random) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..=random.below(4) {
        let at = random.below(bytes.len() + 1);
        match random.below(5) {
            0 => {
                let end = (at + random.below(40)).min(bytes.len());
                bytes.drain(at..end);
            }
            1 => {
                let end = (at + random.below(80)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                let to = random.below(bytes.len() + 1);
                bytes.splice(to..to, copy);
            }
            2 => {
                for _ in 0..=random.below(6) {
                    let character = ALPHABET[random.below(ALPHABET.len())];
                    let to = random.below(bytes.len() + 1);
                    bytes.insert(to, character);
                }
            }
            3 => bytes.truncate(at),
            _ => {
                if at < bytes.len() {
                    bytes[at] = ALPHABET[random.below(ALPHABET.len())];
                }
            }
        }
    }
    // The manifest is read as UTF-8 text; invalid bytes never reach the parser.
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn thousands_of_mutated_manifests_never_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let services = std::fs::read_to_string(root.join("services.toml")).unwrap();
    let environments: Vec<(String, String)> = ["prod", "stage", "test"]
        .iter()
        .map(|name| {
            (name.to_string(), std::fs::read_to_string(root.join(format!("environments/{name}.toml"))).unwrap())
        })
        .collect();
    let mut random = Random(0x5eed_1234_abcd_0001);
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..800 {
        let services = if random.below(2) == 0 { mutate(&services, &mut random) } else { services.clone() };
        let mutated: Vec<(String, String)> = environments
            .iter()
            .map(|(name, text)| {
                (name.clone(), if random.below(3) == 0 { mutate(text, &mut random) } else { text.clone() })
            })
            .collect();
        let borrowed: Vec<(&str, &str)> = mutated.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        match load_from_texts(&services, &borrowed) {
            Ok(checked) => {
                accepted += 1;
                for environment in &checked.manifest.environments {
                    let desired = desired::build(&checked.manifest, environment, &Context::new("us-east-1", None));
                    let text = render_view::text(&desired);
                    for service in environment.enabled_services() {
                        assert!(
                            text.contains(&format!("({})\n", service.name.value)),
                            "{} missing from the render",
                            service.name.value
                        );
                    }
                }
            }
            Err(ManifestError::Invalid { sources, problems }) => {
                rejected += 1;
                assert!(!problems.is_empty());
                let rendered = diagnostics::render_text(&sources, &problems, false);
                assert!(rendered.contains("in the manifest"));
            }
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    // Both paths must be exercised for the test to mean anything.
    assert!(accepted > 30 && rejected > 250, "accepted {accepted}, rejected {rejected}");
}
