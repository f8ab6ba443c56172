//! The typed manifest: what `services.toml` and `environments/<env>.toml` say, after defaults.
//!
//! Values that later checks may complain about keep their [`Located`] span. Services are stored
//! per environment, already merged (`[defaults]`, then `[services.<name>]`, then the environment's
//! `[services.<name>]` override), because that merged value is what gets deployed.

use super::source::{FileId, Located, Span};

/// The environment name in the ownership tags of resources every environment shares (the
/// cluster, the ALB); no environment may be called so.
pub const SHARED_ENVIRONMENT_NAME: &str = "shared";

/// A parsed manifest: the project and every environment with its effective services.
#[derive(Debug)]
pub struct Manifest {
    pub project: Project,
    /// Service names in the order `services.toml` defines them.
    pub service_names: Vec<Located<String>>,
    pub environments: Vec<Environment>,
}

impl Manifest {
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|environment| environment.name.value == name)
    }

    pub fn environment_names(&self) -> Vec<&str> {
        self.environments.iter().map(|environment| environment.name.value.as_str()).collect()
    }
}

/// `[project]`: what every environment shares.
#[derive(Debug, Clone)]
pub struct Project {
    /// Lower-case name used in tags and in the names of shared resources.
    pub name: Located<String>,
    pub region: Option<Located<String>>,
    /// When set, every command that talks to AWS refuses to run against any other account.
    pub account_id: Option<Located<String>>,
    /// The one ECS cluster all environments share.
    pub cluster: Located<String>,
    /// Cost-allocation tags put on every resource.
    pub tags: Vec<Tag>,
    pub load_balancer: LoadBalancer,
    /// Empty lookups when `[project.network]` is missing (reported).
    pub network: Network,
    pub dns: Option<Dns>,
}

/// A tag key and value as written.
#[derive(Debug, Clone)]
pub struct Tag {
    pub key: Located<String>,
    pub value: Located<String>,
}

/// `[project.load_balancer]`: the one ALB all environments share.
#[derive(Debug, Clone)]
pub struct LoadBalancer {
    pub name: Located<String>,
    pub certificate: Option<Certificate>,
    pub ssl_policy: String,
    pub idle_timeout_seconds: i64,
}

/// The HTTPS listener's certificate: an ACM ARN, or a domain looked up in ACM.
#[derive(Debug, Clone)]
pub enum Certificate {
    Arn(Located<String>),
    Domain(Located<String>),
}

/// `[project.network]`: the VPC and subnets ecsdeploy uses but never creates.
#[derive(Debug, Clone)]
pub struct Network {
    pub vpc: Lookup,
    pub public_subnets: Lookup,
    pub private_subnets: Lookup,
}

/// A network resource named by IDs or found by tags.
#[derive(Debug, Clone)]
pub enum Lookup {
    Ids(Vec<Located<String>>),
    Tags { tags: Vec<Tag>, span: Span },
}

/// `[project.dns]`: the Route53 hosted zone of the environments' domains.
#[derive(Debug, Clone)]
pub struct Dns {
    pub zone: Located<String>,
    pub zone_id: Option<Located<String>>,
}

/// One environment file, with its services merged.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The file stem: `stage` for `environments/stage.toml`.
    pub name: Located<String>,
    pub file: FileId,
    /// Prefix of ECS service, task family and other per-environment names (`stage-`; prod: empty).
    pub prefix: Located<String>,
    /// Prefix of every ALB path of this environment (`/stage`; prod: empty).
    pub path_prefix: Located<String>,
    /// The DNS name pointed at the shared ALB, inside `[project.dns].zone`.
    pub domain: Option<Located<String>>,
    /// The git branch that deploys to this environment.
    pub branch: Located<String>,
    pub capacity: Vec<CapacityProvider>,
    /// Prefix of the Secrets Manager names this environment's secret references resolve under.
    pub secret_prefix: Located<String>,
    /// Image scan findings at or above this severity stop a deploy (`None`: off).
    pub block_findings_at: Option<String>,
    /// `load_balancer = "<name>"`: the ALB this environment's services are routed through,
    /// instead of `[project.load_balancer] name` (with the project's settings). An ALB takes 100
    /// target groups, a quota AWS does not raise: a project with more path-routed services
    /// across its environments puts some environments on an ALB of their own.
    pub load_balancer: Option<Located<String>>,
    /// `security_group = "own"`: the environment's tasks are in a security group of its own
    /// instead of the services' group every environment shares.
    pub own_security_group: bool,
    /// Rotation settings of the environment's secrets (`[secrets."<name>".rotation]`), those
    /// turned off here left out.
    pub secret_rotations: Vec<SecretRotation>,
    pub tags: Vec<Tag>,
    /// Every service of `services.toml`, merged with this environment's overrides, in manifest
    /// order, including those the environment disables.
    pub services: Vec<Service>,
}

impl Environment {
    /// The name of the ALB this environment's services are routed through.
    pub fn load_balancer_name<'a>(&'a self, project: &'a Project) -> &'a str {
        self.load_balancer.as_ref().map_or(project.load_balancer.name.value.as_str(), |name| name.value.as_str())
    }

    pub fn enabled_services(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(|service| service.enabled)
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|service| service.name.value == name)
    }
}

/// One entry of an ECS capacity-provider strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityProvider {
    pub provider: String,
    pub weight: i64,
    pub base: i64,
    /// Where the provider (or the `capacity` value) is written.
    pub span: Span,
}

/// One service as deployed in one environment.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: Located<String>,
    /// False when the environment sets `enabled = false`: the service is not deployed there.
    pub enabled: bool,
    /// False when `path` was missing or of the wrong type (reported): checks that compare paths
    /// skip this service.
    pub has_path: bool,
    pub image: Image,
    pub port: Located<i64>,
    /// The ALB path pattern before the environment's prefix, e.g. `/auth/*`.
    pub path: Located<String>,
    /// What the ALB's listener rule takes off the path before forwarding (a url-rewrite
    /// transform), so that one image serves the same paths in every environment.
    pub path_rewrite: Located<PathRewrite>,
    /// Explicit listener-rule priority; derived from the names when absent.
    pub priority: Option<Located<i64>>,
    /// Fargate CPU units (1024 = 1 vCPU).
    pub cpu: Located<i64>,
    /// Fargate memory in MiB.
    pub memory: Located<i64>,
    pub architecture: String,
    pub command: Option<Vec<String>>,
    pub entry_point: Option<Vec<String>>,
    pub env: Vec<(Located<String>, Located<String>)>,
    pub secrets: Vec<SecretReference>,
    pub health_check: HealthCheck,
    pub container_health_check: Option<ContainerHealthCheck>,
    /// How to build the image (`ecsdeploy build`, `up --build`); `None`: built elsewhere.
    pub build: Option<Build>,
    pub scaling: Scaling,
    pub deployment: Deployment,
    pub deregistration_delay_seconds: i64,
    pub log_retention_days: Located<i64>,
    pub permissions: Vec<Permission>,
    pub alarms: Alarms,
    pub tags: Vec<Tag>,
    pub target_group_name: Option<Located<String>>,
    /// The container's name in the task definition (default: the service name). Set by `import`
    /// for a service whose container was named otherwise.
    pub container: Option<Located<String>>,
    /// An execution role ecsdeploy uses but does not manage (an ARN): none is created for the
    /// service then. Set by `import` for a service that brings its own roles.
    pub execution_role: Option<Located<String>>,
    /// A task role ecsdeploy uses but does not manage (an ARN); `permissions` cannot be combined
    /// with it, because ecsdeploy grants them on the role it creates.
    pub task_role: Option<Located<String>>,
    /// A log group ecsdeploy uses but does not manage (its name): none is created, and
    /// `log_retention_days` does not apply.
    pub log_group: Option<Located<String>>,
    /// The log stream prefix (default: the container name); the console's default is `ecs`.
    pub log_stream_prefix: Option<Located<String>>,
    /// Settings that were given but unusable (reported): `cpu`, `memory`, `log_retention_days`,
    /// `health_check.interval`, `scaling.min`, ... Checks combining them stand down.
    pub unusable: Vec<String>,
    /// Where the merged service settings start (for problems about the service as a whole).
    pub span: Span,
}

/// How a service's image is built: `<command...> build --tag <image> [--file <dockerfile>]
/// <context>`, then pushed with `<command...> push`; `command` may be `["podman"]`,
/// `["docker", "buildx"]` or a wrapper.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    /// The build context, relative to the manifest directory.
    pub context: Located<String>,
    pub dockerfile: Option<String>,
    pub command: Vec<String>,
}

/// Where the container image comes from.
#[derive(Debug, Clone)]
pub enum Image {
    /// An ECR repository of this account and a tag, resolved to a digest at plan time.
    Ecr { repository: Located<String>, tag: Located<String> },
    /// Any other registry, used as written.
    External(Located<String>),
}

/// An environment variable whose value comes from Secrets Manager at task start.
#[derive(Debug, Clone)]
pub struct SecretReference {
    pub variable: Located<String>,
    /// Secret name relative to the environment's `secret_prefix`, or a full ARN used as is.
    pub secret: Located<String>,
    /// A key of a JSON secret; absent means the whole secret string.
    pub json_key: Option<String>,
}

/// `[secrets."<name>".rotation]`: how Secrets Manager rotates a secret ecsdeploy owns.
#[derive(Debug, Clone)]
pub struct SecretRotation {
    /// The secret's name relative to the environment's `secret_prefix` (`auth/db`).
    pub secret: Located<String>,
    /// A Lambda function name (in the account and region deployed to) or ARN.
    pub function: Located<String>,
    /// `rate(30 days)`, `rate(12 hours)` or `cron(...)`, as Secrets Manager's ScheduleExpression.
    pub schedule: Located<String>,
    /// How long each rotation may take (Secrets Manager's `Duration`), such as `4h`.
    pub window: Option<Located<String>>,
}

/// What the app sees of a request path that the ALB routed to it.
///
/// The ALB forwards the path unchanged unless the rule rewrites it; the target group's health
/// check, though, asks the task for `health_check.path` directly. The gate's HTTP check goes
/// through the ALB, so it asks for the public path that reaches the app as `health_check.path`:
/// the rewrite decides which public path that is, and validation refuses a combination where
/// none does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRewrite {
    /// Default. The environment's prefix and the service's path are taken off:
    /// `/stage/auth/login` reaches the app as `/login` (and `/auth/login` in prod as `/login`).
    Service,
    /// Only the environment's prefix is taken off: the app sees `/auth/login` in every
    /// environment, as prod's ALB forwards it; its health path must lie under its `path`.
    Environment,
    /// The path is forwarded as it came (`/stage/auth/login`): for apps that know their
    /// environment's prefix, and services imported as they run.
    None,
}

/// The ALB target-group health check (and the gate's HTTP check).
#[derive(Debug, Clone)]
pub struct HealthCheck {
    pub path: Located<String>,
    pub interval_seconds: Located<i64>,
    pub timeout_seconds: Located<i64>,
    pub healthy_threshold: i64,
    pub unhealthy_threshold: i64,
    /// HTTP codes counted as healthy: `200`, `200,204` or `200-299`.
    pub matcher: Located<String>,
    /// Seconds ECS ignores failing ALB health checks after a task starts.
    pub grace_period_seconds: i64,
}

/// The container's own health check, run by the ECS agent inside the task.
#[derive(Debug, Clone)]
pub struct ContainerHealthCheck {
    pub command: Located<Vec<String>>,
    pub interval_seconds: i64,
    pub timeout_seconds: i64,
    pub retries: i64,
    pub start_period_seconds: i64,
}

/// Application Auto Scaling of the service's task count.
#[derive(Debug, Clone)]
pub struct Scaling {
    pub min: Located<i64>,
    pub max: Located<i64>,
    /// Target average CPU utilisation in percent.
    pub cpu_target: i64,
    /// Optional target of ALB requests per target per minute.
    pub requests_per_target: Option<i64>,
    pub scale_in_cooldown_seconds: i64,
    pub scale_out_cooldown_seconds: i64,
    /// Name of the CPU target-tracking policy (default `<service>-cpu`), for a policy `import`
    /// adopted under another name.
    pub cpu_policy: Option<Located<String>>,
    /// Name of the requests target-tracking policy (default `<service>-requests`).
    pub requests_policy: Option<Located<String>>,
}

/// How ECS replaces tasks, and how long ecsdeploy waits for it.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub minimum_healthy_percent: i64,
    pub maximum_percent: Located<i64>,
    pub circuit_breaker: bool,
    pub timeout_seconds: i64,
    pub poll_interval_seconds: i64,
    /// The `deployment` table, or the service when it has none.
    pub span: Span,
}

/// CloudWatch alarms of a service; each is created only when its threshold is set (`false`
/// turns off a threshold `[defaults]` sets).
#[derive(Debug, Clone)]
pub struct Alarms {
    /// Average CPU above this percent for five minutes.
    pub cpu_above: Option<i64>,
    /// Average memory above this percent for five minutes.
    pub memory_above: Option<i64>,
    /// More than this many 5xx answers from the service's targets per minute, three minutes long.
    pub http_5xx_above: Option<i64>,
    /// SNS topics told when an alarm fires and when it clears.
    pub actions: Located<Vec<String>>,
}

/// One statement of the task role's policy.
#[derive(Debug, Clone)]
pub struct Permission {
    pub actions: Located<Vec<String>>,
    pub resources: Located<Vec<String>>,
}
