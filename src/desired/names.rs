//! How ecsdeploy names what it creates. One place, so that plan, apply, destroy and the checks
//! agree, and so that a newcomer can find where `stage-auth` comes from.

use crate::manifest::{Environment, Project, Service};

/// Names of one service's resources in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceNames {
    /// `stage-auth`: the ECS service and the task definition family (the environment's prefix +
    /// the service name, as the architecture document names them).
    pub full_name: String,
    /// The container in the task definition: the service name, the same in every environment.
    pub container: String,
    /// Account-wide, at most 32 characters: `acme-stage-auth` unless the manifest names it.
    pub target_group: String,
    /// `/ecs/acme/stage/auth`.
    pub log_group: String,
    /// The container's log streams: `<prefix>/<container>/<task id>`; the container name.
    pub log_stream_prefix: String,
    /// Account-wide IAM names, so they carry project and environment: `acme-stage-auth-execution`.
    pub execution_role: String,
    pub task_role: String,
    /// `service/acme/stage-auth`: the Application Auto Scaling resource ID.
    pub scaling_resource_id: String,
    /// The target-tracking policies: `stage-auth-cpu`, `stage-auth-requests` unless named.
    pub cpu_policy: String,
    pub requests_policy: String,
}

/// The IAM path of every role ecsdeploy creates: it finds its roles with one `ListRoles`.
pub const ROLE_PATH: &str = "/ecsdeploy/";

/// Name of the inline policy ecsdeploy puts on the roles it creates.
pub const ROLE_POLICY_NAME: &str = "ecsdeploy";

pub fn service_names(project: &Project, environment: &Environment, service: &Service) -> ServiceNames {
    let project_name = &project.name.value;
    let environment_name = &environment.name.value;
    let service_name = &service.name.value;
    let full_name = format!("{}{service_name}", environment.prefix.value);
    let container = named_or(&service.container, || service_name.clone());
    ServiceNames {
        log_stream_prefix: named_or(&service.log_stream_prefix, || container.clone()),
        container,
        target_group: named_or(&service.target_group_name, || format!("{project_name}-{full_name}")),
        log_group: named_or(&service.log_group, || format!("/ecs/{project_name}/{environment_name}/{service_name}")),
        execution_role: format!("{project_name}-{environment_name}-{service_name}-execution"),
        task_role: format!("{project_name}-{environment_name}-{service_name}-task"),
        scaling_resource_id: format!("service/{}/{full_name}", project.cluster.value),
        cpu_policy: named_or(&service.scaling.cpu_policy, || format!("{full_name}-cpu")),
        requests_policy: named_or(&service.scaling.requests_policy, || format!("{full_name}-requests")),
        full_name,
    }
}

fn named_or(name: &Option<crate::manifest::source::Located<String>>, default: impl FnOnce() -> String) -> String {
    name.as_ref().map_or_else(default, |name| name.value.clone())
}

/// The full ALB path pattern: the environment's prefix and the service's path.
pub fn path_pattern(environment: &Environment, service: &Service) -> String {
    format!("{}{}", environment.path_prefix.value, service.path.value)
}

/// The security group admitting the ALB to the services' container ports (shared by environments).
pub fn service_security_group(project: &Project) -> String {
    format!("{}-services", project.name.value)
}

/// The security group of an environment's own tasks (`security_group = "own"`).
pub fn environment_security_group(project: &Project, environment: &Environment) -> String {
    format!("{}-{}-services", project.name.value, environment.name.value)
}

/// The security group the environment's tasks are in: its own, or the shared services' group.
pub fn task_security_group(project: &Project, environment: &Environment) -> String {
    if environment.own_security_group {
        environment_security_group(project, environment)
    } else {
        service_security_group(project)
    }
}

/// The security group of the shared ALB.
pub fn load_balancer_security_group(project: &Project) -> String {
    format!("{}-alb", project.name.value)
}

/// The secret name an environment's reference resolves to: `stage/` + `auth/db`.
pub fn secret_name(environment: &Environment, secret: &str) -> String {
    format!("{}{secret}", environment.secret_prefix.value)
}
