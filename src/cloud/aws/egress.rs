//! EC2 reads for the egress check of the private subnets (`actual::egress` judges them): the
//! VPC's route tables and VPC endpoints, one paginated call each, run together and beside the
//! subnets.

use super::AwsCloud;
use crate::actual::Missing;
use crate::actual::egress::{self, Endpoint, RouteTable, RouteTarget, Subnet};
use crate::cloud::CloudError;
use aws_sdk_ec2::types::{Filter, RouteState};

/// The VPC's route tables and endpoints, read once for the egress check of its private subnets.
pub(super) struct EgressReads {
    tables: Vec<(RouteTable, Vec<String>, bool)>,
    endpoints: Vec<Endpoint>,
}

impl EgressReads {
    /// What keeps tasks in `subnets` (ID, zone) from starting, if anything.
    pub(super) fn problems(&self, region: &str, subnets: &[(String, String)], uses_secrets: bool) -> Vec<Missing> {
        if subnets.is_empty() {
            return Vec::new();
        }
        let tables = &self.tables;
        let main_table = tables.iter().find(|(_, _, is_main)| *is_main).map(|(table, _, _)| table.clone());
        let subnets: Vec<Subnet> = subnets
            .iter()
            .map(|(id, zone)| {
                let explicit = tables.iter().find(|(_, associated, _)| associated.contains(id));
                Subnet {
                    id: id.clone(),
                    zone: zone.clone(),
                    route_table: explicit.map(|(table, _, _)| table.clone()).or_else(|| main_table.clone()),
                }
            })
            .collect();
        egress::egress_problems(region, &subnets, &self.endpoints, uses_secrets)
    }
}

impl AwsCloud {
    /// The route tables and VPC endpoints of `vpc`: read beside its subnets (not after them),
    /// so that the egress check adds no round to the read.
    pub(super) async fn egress_reads(&self, vpc: &str) -> Result<EgressReads, CloudError> {
        let (tables, endpoints) = futures_util::try_join!(self.route_tables(vpc), self.vpc_endpoints(vpc))?;
        Ok(EgressReads { tables, endpoints })
    }

    /// `(table, explicitly associated subnets, is the VPC's main table)` of every route table.
    async fn route_tables(&self, vpc: &str) -> Result<Vec<(RouteTable, Vec<String>, bool)>, CloudError> {
        let mut tables = Vec::new();
        let mut pages = self.ec2.describe_route_tables().filters(vpc_filter(vpc)).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|error| self.error("ec2:DescribeRouteTables", format!("route tables of {vpc}"), &error))?;
            for table in page.route_tables() {
                let associations = table.associations();
                let subnets = associations.iter().filter_map(|a| a.subnet_id().map(str::to_string)).collect();
                let is_main = associations.iter().any(|association| association.main() == Some(true));
                let default_routes = table
                    .routes()
                    .iter()
                    .filter(|route| route.destination_cidr_block() == Some("0.0.0.0/0"))
                    .map(route_target)
                    .collect();
                let id = table.route_table_id().unwrap_or_default().to_string();
                tables.push((RouteTable { id, default_routes }, subnets, is_main));
            }
        }
        Ok(tables)
    }

    async fn vpc_endpoints(&self, vpc: &str) -> Result<Vec<Endpoint>, CloudError> {
        let mut endpoints = Vec::new();
        let mut pages = self.ec2.describe_vpc_endpoints().filters(vpc_filter(vpc)).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(|error| self.error("ec2:DescribeVpcEndpoints", format!("VPC endpoints of {vpc}"), &error))?;
            for endpoint in page.vpc_endpoints() {
                endpoints.push(Endpoint {
                    service_name: endpoint.service_name().unwrap_or_default().to_string(),
                    is_gateway: endpoint.vpc_endpoint_type().map(|kind| kind.as_str()) == Some("Gateway"),
                    private_dns: endpoint.private_dns_enabled().unwrap_or(false),
                    is_available: endpoint.state().map(|state| state.as_str().eq_ignore_ascii_case("available"))
                        == Some(true),
                    route_table_ids: endpoint.route_table_ids().to_vec(),
                });
            }
        }
        Ok(endpoints)
    }
}

fn route_target(route: &aws_sdk_ec2::types::Route) -> RouteTarget {
    if route.state() == Some(&RouteState::Blackhole) {
        return RouteTarget::Other;
    }
    let egress =
        [route.nat_gateway_id(), route.transit_gateway_id(), route.instance_id(), route.network_interface_id()];
    if let Some(target) = egress.into_iter().flatten().next() {
        return RouteTarget::Egress(target.to_string());
    }
    match route.gateway_id() {
        Some(gateway) if gateway.starts_with("igw-") => RouteTarget::InternetGateway(gateway.to_string()),
        _ => RouteTarget::Other,
    }
}

fn vpc_filter(vpc: &str) -> Filter {
    Filter::builder().name("vpc-id").values(vpc).build()
}
