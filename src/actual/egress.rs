//! Whether tasks in the private subnets can reach what starting them needs.
//!
//! Tasks run with `assignPublicIp = DISABLED`, so an internet gateway route is no way out for
//! them: they pull images from ECR (its API, its registry and the S3 bucket behind it), read
//! secrets from Secrets Manager and ship logs to CloudWatch Logs through either a default route
//! to a NAT gateway (or an appliance: a transit gateway, a NAT instance or its interface), or VPC
//! endpoints for each of those services. Without either, every task fails to start with
//! ResourceInitializationError until the circuit breaker or the deadline; the plan refuses
//! before anything changes instead, naming the subnet and what it lacks.
//!
//! Pure: the AWS reader (`cloud/aws/network.rs`) gathers the facts.

use super::Missing;

/// Where a route sends traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    /// A NAT gateway, a transit gateway, a NAT instance or a network interface: egress.
    Egress(String),
    /// An internet gateway: no egress for tasks without a public IP.
    InternetGateway(String),
    /// A blackhole route, or anything else (peering, local).
    Other,
}

/// A route table's default (`0.0.0.0/0`) routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    pub id: String,
    pub default_routes: Vec<RouteTarget>,
}

/// A VPC endpoint of the subnets' VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The service name, `com.amazonaws.us-east-1.ecr.dkr`.
    pub service_name: String,
    pub is_gateway: bool,
    /// Interface endpoints: whether the service's public DNS name resolves to the endpoint.
    pub private_dns: bool,
    pub is_available: bool,
    /// Gateway endpoints: the route tables they are associated with.
    pub route_table_ids: Vec<String>,
}

/// A private subnet and the route table that applies to it (explicit, or the VPC's main one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: String,
    pub zone: String,
    pub route_table: Option<RouteTable>,
}

/// The services a task start calls, as endpoint name suffixes.
pub fn needed_services(uses_secrets: bool) -> Vec<&'static str> {
    let mut services = vec!["ecr.api", "ecr.dkr", "logs"];
    if uses_secrets {
        services.push("secretsmanager");
    }
    services
}

/// One problem per private subnet from which tasks could not start.
pub fn egress_problems(region: &str, subnets: &[Subnet], endpoints: &[Endpoint], uses_secrets: bool) -> Vec<Missing> {
    subnets.iter().filter_map(|subnet| subnet_problem(region, subnet, endpoints, uses_secrets)).collect()
}

fn subnet_problem(region: &str, subnet: &Subnet, endpoints: &[Endpoint], uses_secrets: bool) -> Option<Missing> {
    let table = subnet.route_table.as_ref();
    let has_egress_route =
        table.is_some_and(|table| table.default_routes.iter().any(|target| matches!(target, RouteTarget::Egress(_))));
    if has_egress_route {
        return None;
    }
    let missing_endpoints = missing_endpoints(region, table, endpoints, uses_secrets);
    if missing_endpoints.is_empty() {
        return None;
    }
    let route = match table {
        None => "no route table".to_string(),
        Some(table) if table.default_routes.iter().any(|t| matches!(t, RouteTarget::InternetGateway(_))) => format!(
            "route table {} sends 0.0.0.0/0 to an internet gateway, which tasks without a public IP cannot use",
            table.id
        ),
        Some(table) => format!("route table {} has no 0.0.0.0/0 route to a NAT gateway", table.id),
    };
    Some(Missing {
        what: format!(
            "egress from private subnet {} ({}): {route}, and the VPC lacks {}",
            subnet.id,
            subnet.zone,
            missing_endpoints.join(", ")
        ),
        hint: format!(
            "tasks get no public IP, so without a way out they cannot pull images, read secrets or write logs (ResourceInitializationError): add a route 0.0.0.0/0 to a NAT gateway in {}, or VPC endpoints for {} (interface endpoints with private DNS) and a gateway endpoint for s3 on that route table",
            table.map_or("the subnet's route table", |table| table.id.as_str()),
            needed_services(uses_secrets).join(", ")
        ),
    })
}

/// The endpoints a task start in a subnet routed by `table` would need and the VPC lacks.
fn missing_endpoints(
    region: &str,
    table: Option<&RouteTable>,
    endpoints: &[Endpoint],
    uses_secrets: bool,
) -> Vec<String> {
    let name = |service: &str| format!("com.amazonaws.{region}.{service}");
    let mut missing: Vec<String> = needed_services(uses_secrets)
        .into_iter()
        .filter(|service| {
            !endpoints.iter().any(|endpoint| {
                endpoint.service_name == name(service)
                    && !endpoint.is_gateway
                    && endpoint.private_dns
                    && endpoint.is_available
            })
        })
        .map(|service| format!("the {service} endpoint"))
        .collect();
    // ECR keeps image layers in S3: the gateway endpoint must be on the subnet's route table.
    let has_s3 = table.is_some_and(|table| {
        endpoints.iter().any(|endpoint| {
            endpoint.service_name == name("s3")
                && endpoint.is_gateway
                && endpoint.is_available
                && endpoint.route_table_ids.contains(&table.id)
        })
    });
    if !has_s3 {
        missing.push("an s3 gateway endpoint on its route table".into());
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(routes: Vec<RouteTarget>) -> Subnet {
        Subnet {
            id: "subnet-1".into(),
            zone: "us-east-1a".into(),
            route_table: Some(RouteTable { id: "rtb-1".into(), default_routes: routes }),
        }
    }

    fn interface(service: &str) -> Endpoint {
        Endpoint {
            service_name: format!("com.amazonaws.us-east-1.{service}"),
            is_gateway: false,
            private_dns: true,
            is_available: true,
            route_table_ids: Vec::new(),
        }
    }

    fn s3(route_table: &str) -> Endpoint {
        Endpoint {
            service_name: "com.amazonaws.us-east-1.s3".into(),
            is_gateway: true,
            private_dns: false,
            is_available: true,
            route_table_ids: vec![route_table.into()],
        }
    }

    #[test]
    fn a_nat_route_is_egress() {
        let subnets = [subnet(vec![RouteTarget::Egress("nat-1".into())])];
        assert!(egress_problems("us-east-1", &subnets, &[], true).is_empty());
    }

    #[test]
    fn no_route_and_no_endpoints_names_the_subnet_and_what_it_lacks() {
        let problems = egress_problems("us-east-1", &[subnet(Vec::new())], &[], true);
        assert_eq!(problems.len(), 1);
        let what = &problems[0].what;
        assert!(
            what.starts_with("egress from private subnet subnet-1 (us-east-1a): route table rtb-1 has no"),
            "{what}"
        );
        assert!(what.contains("lacks the ecr.api endpoint, the ecr.dkr endpoint, the logs endpoint, the secretsmanager endpoint, an s3"), "{what}");
        assert!(problems[0].hint.contains("NAT gateway in rtb-1"), "{}", problems[0].hint);
    }

    #[test]
    fn an_internet_gateway_route_is_not_egress_without_a_public_ip() {
        let problems =
            egress_problems("us-east-1", &[subnet(vec![RouteTarget::InternetGateway("igw-1".into())])], &[], false);
        assert!(problems[0].what.contains("internet gateway"), "{}", problems[0].what);
        assert!(!problems[0].what.contains("secretsmanager"), "no secrets used: {}", problems[0].what);
    }

    #[test]
    fn endpoints_are_egress_when_all_are_there_with_private_dns_and_s3_on_the_route_table() {
        let mut endpoints: Vec<Endpoint> =
            ["ecr.api", "ecr.dkr", "logs", "secretsmanager"].iter().map(|service| interface(service)).collect();
        endpoints.push(s3("rtb-1"));
        assert!(egress_problems("us-east-1", &[subnet(Vec::new())], &endpoints, true).is_empty());

        let mut other_table = endpoints.clone();
        other_table.pop();
        other_table.push(s3("rtb-2"));
        let problems = egress_problems("us-east-1", &[subnet(Vec::new())], &other_table, true);
        assert!(problems[0].what.ends_with("lacks an s3 gateway endpoint on its route table"), "{}", problems[0].what);

        let mut no_dns = endpoints.clone();
        no_dns[1].private_dns = false;
        let problems = egress_problems("us-east-1", &[subnet(Vec::new())], &no_dns, true);
        assert!(problems[0].what.ends_with("lacks the ecr.dkr endpoint"), "{}", problems[0].what);
    }
}
