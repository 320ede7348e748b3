"""Planning with 10 and with 200 registered tools: does the planner still pick the right tool, and
how much slower is it? An MCP server can bring dozens of tools; this is what that costs.

The cases are `bench/data/plans.jsonl`, the config `bench/data/eval.toml` (4 built-ins and 5
runbooks = 9 tools). Extra tools are synthetic but MCP-shaped: read-only tools of 20 ops systems
(Kubernetes, Grafana, Sentry, PagerDuty, …) with realistic names, descriptions and parameters,
many of them sharing words with the real ones ("logs", "restart", "status", "dns", "check").
Three setups, same planner, same model:

- 10 tools: the 9 plus one extra;
- 200 tools: the 9 plus 191 extra, every one shown to the planner;
- 200 tools, filtered: the same, through `bot.agent.tool_filter.relevant_tools` (what the hub does).

Reported per setup: right-tool rate (every expected tool and no other), mean and p95 planning
latency. Latency is the planner's, per case, one case at a time.

    .venv/bin/python bench/planner_scale.py                  # guided planner, embedded model
    .venv/bin/python bench/planner_scale.py --planner bare   # every tool in the prompt (ModelPlanner)
    .venv/bin/python bench/planner_scale.py --cases 30       # the first 30 cases only
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from chatops.bot.agent.planning import Planner, PlanRequest  # noqa: E402
from chatops.bot.agent.tool_filter import relevant_tools  # noqa: E402
from chatops.bot.config import load_config  # noqa: E402
from chatops.bot.evaluation import EvalReport, load_cases, offered_tools, run_cases, with_model  # noqa: E402
from chatops.bot.model import Answer, Plan, Risk  # noqa: E402
from chatops.tools.registry import ToolSpec  # noqa: E402

# system → (title, [(tool, description, parameters)]); parameters are name → JSON type
SYSTEMS: dict[str, tuple[str, list[tuple[str, str, dict[str, str]]]]] = {
    "k8s": ("Kubernetes", [
        ("list_pods", "List pods in a namespace with their status and restarts", {"namespace": "string"}),
        ("get_pod_logs", "Fetch the logs of a pod's container", {"namespace": "string", "pod": "string"}),
        ("describe_deployment", "Describe a deployment: replicas, image, conditions", {"name": "string"}),
        ("rollout_status", "Show the rollout status of a deployment", {"name": "string"}),
        ("list_events", "List recent cluster events (warnings, evictions)", {"namespace": "string"}),
        ("top_nodes", "CPU and memory usage of each node", {}),
        ("list_services", "List services and their cluster IPs and ports", {"namespace": "string"}),
        ("get_ingress", "Show an ingress: hosts, paths, TLS secret", {"name": "string"}),
        ("list_namespaces", "List namespaces", {}),
        ("get_configmap", "Read a config map", {"name": "string"}),
    ]),
    "grafana": ("Grafana", [
        ("search_dashboards", "Search dashboards by title or tag", {"query": "string"}),
        ("get_dashboard", "Get a dashboard's panels and queries", {"uid": "string"}),
        ("list_alerts", "List firing alert rules", {}),
        ("get_alert_rule", "Show one alert rule and its state history", {"uid": "string"}),
        ("list_datasources", "List configured data sources", {}),
        ("query_panel", "Run a panel's query for a time range", {"uid": "string", "panel": "integer"}),
        ("list_annotations", "List annotations (deploys, incidents) in a time range", {"since": "string"}),
        ("list_folders", "List dashboard folders", {}),
        ("get_contact_points", "List notification contact points", {}),
        ("silence_status", "Show active alert silences", {}),
    ]),
    "prom": ("Prometheus", [
        ("instant_query", "Evaluate a PromQL expression now", {"query": "string"}),
        ("range_query", "Evaluate a PromQL expression over a time range", {"query": "string", "range": "string"}),
        ("list_targets", "List scrape targets and whether they are up", {}),
        ("list_rules", "List recording and alerting rules", {}),
        ("series", "Find series matching a label selector", {"match": "string"}),
        ("label_values", "List the values of a label", {"label": "string"}),
        ("tsdb_status", "Cardinality and head block statistics", {}),
        ("alertmanager_alerts", "Alerts currently in Alertmanager", {}),
        ("config_status", "Show the loaded configuration and reload status", {}),
        ("runtime_info", "Version, uptime and storage retention", {}),
    ]),
    "sentry": ("Sentry", [
        ("list_issues", "List unresolved issues of a project, newest first", {"project": "string"}),
        ("get_issue", "Show an issue: stack trace, first and last seen, events", {"issue_id": "string"}),
        ("list_releases", "List releases and their crash-free rate", {"project": "string"}),
        ("search_events", "Search error events by message or tag", {"query": "string"}),
        ("issue_tags", "Tag distribution of an issue (browser, release, host)", {"issue_id": "string"}),
        ("list_projects", "List projects", {}),
        ("performance_summary", "Transaction latency and throughput summary", {"project": "string"}),
        ("list_monitors", "List cron monitors and their last check-in", {}),
        ("replays", "List session replays for an issue", {"issue_id": "string"}),
        ("team_stats", "Issue counts per team", {}),
    ]),
    "pagerduty": ("PagerDuty", [
        ("list_incidents", "List open incidents and who is assigned", {}),
        ("get_incident", "Show one incident's timeline", {"incident_id": "string"}),
        ("who_is_on_call", "Who is on call now for a schedule", {"schedule": "string"}),
        ("list_services", "List services and their integration status", {}),
        ("list_schedules", "List on-call schedules", {}),
        ("escalation_policy", "Show an escalation policy's levels", {"policy": "string"}),
        ("incident_notes", "Read the notes of an incident", {"incident_id": "string"}),
        ("list_maintenance_windows", "List maintenance windows", {}),
        ("recent_alerts", "Alerts received in the last hour", {}),
        ("analytics", "Mean time to acknowledge and resolve", {}),
    ]),
    "github": ("GitHub", [
        ("list_pull_requests", "List open pull requests of a repository", {"repo": "string"}),
        ("get_pull_request", "Show a pull request's diff summary and checks", {"repo": "string", "number": "integer"}),
        ("list_workflow_runs", "List recent CI workflow runs and their status", {"repo": "string"}),
        ("get_workflow_logs", "Fetch the logs of a workflow run", {"repo": "string", "run_id": "integer"}),
        ("search_code", "Search code across repositories", {"query": "string"}),
        ("list_releases", "List releases and tags", {"repo": "string"}),
        ("list_commits", "List recent commits on a branch", {"repo": "string", "branch": "string"}),
        ("get_file", "Read a file from a repository", {"repo": "string", "path": "string"}),
        ("list_issues", "List open issues", {"repo": "string"}),
        ("dependabot_alerts", "List open dependency alerts", {"repo": "string"}),
    ]),
    "jira": ("Jira", [
        ("search_issues", "Search issues with JQL", {"jql": "string"}),
        ("get_issue", "Show an issue with comments", {"key": "string"}),
        ("list_sprints", "List sprints of a board", {"board": "string"}),
        ("list_projects", "List projects", {}),
        ("issue_transitions", "Available transitions of an issue", {"key": "string"}),
        ("list_versions", "List fix versions of a project", {"project": "string"}),
        ("my_open_issues", "Issues assigned to me", {}),
        ("issue_history", "Changelog of an issue", {"key": "string"}),
        ("board_config", "Columns and filters of a board", {"board": "string"}),
        ("list_components", "List components of a project", {"project": "string"}),
    ]),
    "aws": ("AWS", [
        ("list_instances", "List EC2 instances and their state", {"region": "string"}),
        ("describe_instance", "Describe an EC2 instance", {"instance_id": "string"}),
        ("list_buckets", "List S3 buckets", {}),
        ("cloudwatch_alarms", "List CloudWatch alarms in ALARM state", {"region": "string"}),
        ("get_metric", "Read a CloudWatch metric", {"namespace": "string", "metric": "string"}),
        ("list_load_balancers", "List load balancers and target health", {"region": "string"}),
        ("rds_status", "Status of RDS database instances", {"region": "string"}),
        ("route53_records", "List DNS records of a hosted zone", {"zone": "string"}),
        ("cost_today", "Today's cost by service", {}),
        ("iam_whoami", "The caller identity", {}),
    ]),
    "cloudflare": ("Cloudflare", [
        ("list_zones", "List zones", {}),
        ("dns_records", "List DNS records of a zone", {"zone": "string"}),
        ("firewall_events", "Recent firewall events for a zone", {"zone": "string"}),
        ("analytics", "Requests, bandwidth and threats for a zone", {"zone": "string"}),
        ("cache_status", "Cache hit ratio for a zone", {"zone": "string"}),
        ("list_workers", "List Workers scripts", {}),
        ("ssl_status", "Edge certificate status of a zone", {"zone": "string"}),
        ("page_rules", "List page rules", {"zone": "string"}),
        ("rate_limits", "List rate-limiting rules", {"zone": "string"}),
        ("tunnel_status", "Status of Cloudflare tunnels", {}),
    ]),
    "datadog": ("Datadog", [
        ("query_metrics", "Query a metric over time", {"query": "string"}),
        ("list_monitors", "List monitors and their state", {}),
        ("search_logs", "Search logs with a query", {"query": "string"}),
        ("list_dashboards", "List dashboards", {}),
        ("list_hosts", "List hosts reporting to Datadog", {}),
        ("apm_services", "APM services with latency and errors", {}),
        ("list_slos", "Service level objectives and their error budget", {}),
        ("incidents", "Open Datadog incidents", {}),
        ("synthetics_results", "Latest synthetic test results", {}),
        ("events", "Recent events stream", {}),
    ]),
    "loki": ("Loki", [
        ("query_logs", "Run a LogQL query over recent logs", {"query": "string"}),
        ("label_names", "List log label names", {}),
        ("label_values", "List values of a log label", {"label": "string"}),
        ("tail", "Tail log lines matching a selector", {"selector": "string"}),
        ("series", "List log streams matching a selector", {"selector": "string"}),
        ("stats", "Bytes and lines per stream", {"selector": "string"}),
        ("volume", "Log volume by label over time", {"selector": "string"}),
        ("patterns", "Detected log patterns", {"selector": "string"}),
        ("ruler_rules", "Log alerting rules", {}),
        ("ready", "Whether Loki is ready", {}),
    ]),
    "argocd": ("Argo CD", [
        ("list_applications", "List applications and their sync and health status", {}),
        ("get_application", "Show one application: revision, resources, conditions", {"name": "string"}),
        ("app_history", "Deployment history of an application", {"name": "string"}),
        ("app_diff", "Difference between live and desired state", {"name": "string"}),
        ("list_projects", "List Argo CD projects", {}),
        ("list_clusters", "List managed clusters", {}),
        ("list_repositories", "List configured Git repositories", {}),
        ("resource_tree", "Resource tree of an application", {"name": "string"}),
        ("app_events", "Events of an application", {"name": "string"}),
        ("app_logs", "Logs of an application's pods", {"name": "string"}),
    ]),
    "vault": ("Vault", [
        ("seal_status", "Whether Vault is sealed", {}),
        ("list_mounts", "List secret engines", {}),
        ("list_policies", "List policies", {}),
        ("token_lookup", "Look up the current token's policies and TTL", {}),
        ("list_leases", "List leases under a prefix", {"prefix": "string"}),
        ("audit_devices", "List audit devices", {}),
        ("raft_peers", "Raft cluster peers", {}),
        ("replication_status", "Replication status", {}),
        ("list_auth_methods", "List auth methods", {}),
        ("health", "Vault health endpoint", {}),
    ]),
    "consul": ("Consul", [
        ("list_services", "List registered services", {}),
        ("service_health", "Health checks of a service's instances", {"service": "string"}),
        ("list_nodes", "List nodes", {}),
        ("kv_get", "Read a key from the KV store", {"key": "string"}),
        ("members", "Gossip members and their status", {}),
        ("leader", "The current Raft leader", {}),
        ("intentions", "Service mesh intentions", {}),
        ("catalog_datacenters", "List datacenters", {}),
        ("node_checks", "Health checks of a node", {"node": "string"}),
        ("acl_token_info", "The current ACL token", {}),
    ]),
    "pg": ("PostgreSQL admin", [
        ("active_queries", "Queries running now and for how long", {"database": "string"}),
        ("locks", "Blocked and blocking locks", {"database": "string"}),
        ("replication_lag", "Replication lag of each standby", {}),
        ("table_sizes", "The largest tables", {"database": "string"}),
        ("index_usage", "Unused and most used indexes", {"database": "string"}),
        ("connections", "Connections per database and state", {}),
        ("vacuum_status", "Autovacuum progress and dead tuples", {"database": "string"}),
        ("slow_queries", "Slowest statements from pg_stat_statements", {"database": "string"}),
        ("settings", "Non-default server settings", {}),
        ("wal_status", "WAL generation and archiving status", {}),
    ]),
    "redis": ("Redis admin", [
        ("info", "Server info: memory, clients, persistence", {}),
        ("slowlog", "Recent slow commands", {}),
        ("memory_stats", "Memory usage breakdown", {}),
        ("client_list", "Connected clients", {}),
        ("keyspace", "Keys per database", {}),
        ("latency_doctor", "Latency report", {}),
        ("big_keys", "The largest keys", {}),
        ("replication_info", "Replication role and offsets", {}),
        ("config_get", "Read a configuration parameter", {"parameter": "string"}),
        ("ping_primary", "Round trip to the primary", {}),
    ]),
    "docker": ("Docker", [
        ("list_containers", "List containers and their status", {}),
        ("container_logs", "Logs of a container", {"container": "string"}),
        ("inspect_container", "Inspect a container", {"container": "string"}),
        ("list_images", "List images", {}),
        ("stats", "CPU and memory of running containers", {}),
        ("list_networks", "List networks", {}),
        ("list_volumes", "List volumes", {}),
        ("system_df", "Disk usage of images, containers, volumes", {}),
        ("events", "Recent Docker events", {}),
        ("version", "Engine version", {}),
    ]),
    "helm": ("Helm", [
        ("list_releases", "List releases in a namespace", {"namespace": "string"}),
        ("release_status", "Status of a release", {"release": "string"}),
        ("release_history", "Revision history of a release", {"release": "string"}),
        ("get_values", "Values of a release", {"release": "string"}),
        ("get_manifest", "Rendered manifest of a release", {"release": "string"}),
        ("list_repos", "Configured chart repositories", {}),
        ("search_charts", "Search charts", {"query": "string"}),
        ("show_chart", "Chart metadata", {"chart": "string"}),
        ("dependency_list", "Chart dependencies", {"chart": "string"}),
        ("template_lint", "Lint a chart", {"chart": "string"}),
    ]),
    "statuspage": ("Statuspage", [
        ("list_components", "Components and their status", {}),
        ("list_incidents", "Published incidents", {}),
        ("scheduled_maintenance", "Upcoming scheduled maintenance", {}),
        ("subscribers", "Subscriber counts", {}),
        ("uptime", "Component uptime over 90 days", {"component": "string"}),
        ("metrics", "Public metrics", {}),
        ("page_info", "The page's settings", {}),
        ("incident_updates", "Updates of an incident", {"incident_id": "string"}),
        ("component_groups", "Component groups", {}),
        ("templates", "Incident templates", {}),
    ]),
    "terraform": ("Terraform Cloud", [
        ("list_workspaces", "List workspaces", {}),
        ("workspace_runs", "Recent runs of a workspace", {"workspace": "string"}),
        ("run_plan_log", "Plan log of a run", {"run_id": "string"}),
        ("state_resources", "Resources in the current state", {"workspace": "string"}),
        ("state_versions", "State versions", {"workspace": "string"}),
        ("variables", "Workspace variables (names only)", {"workspace": "string"}),
        ("policy_checks", "Policy check results of a run", {"run_id": "string"}),
        ("list_modules", "Private registry modules", {}),
        ("drift", "Drift detection results", {"workspace": "string"}),
        ("cost_estimate", "Cost estimate of a run", {"run_id": "string"}),
    ]),
}


async def _never(_ctx: Any, _args: dict[str, Any]) -> Any:  # the benchmark only plans
    raise AssertionError("planning only")


def extra_tools(count: int) -> list[ToolSpec]:
    """`count` MCP-shaped read-only tools, as a server's would be registered (`<prefix>_<tool>`)."""
    specs = []
    for prefix, (title, tools) in SYSTEMS.items():
        for name, description, params in tools:
            schema = {"type": "object", "properties": {p: {"type": t} for p, t in params.items()},
                      "required": list(params)}
            specs.append(ToolSpec(name=f"{prefix}_{name}", description=f"{description} ({title}).", risk=Risk.read,
                                  timeout=30, roles=(), parameters_schema=schema, run=_never,
                                  validate_args=lambda args: args, source=f"mcp:{prefix}",
                                  keywords=tuple(w for w in f"{prefix}_{name}".split("_") if w)))
    if count > len(specs):
        raise SystemExit(f"only {len(specs)} extra tools are defined")
    return specs[:count]


@dataclasses.dataclass
class Filtered:
    """The planner behind the hub's pre-filter, applied per request as the hub does."""

    inner: Planner

    @property
    def reviews_results(self) -> bool:
        return self.inner.reviews_results

    @property
    def model_calls(self) -> int | None:
        return getattr(self.inner, "model_calls", None)

    async def plan(self, request: PlanRequest) -> Plan | Answer:
        return await self.inner.plan(dataclasses.replace(request, tools=relevant_tools(request.text, request.tools)))


def row(label: str, tools: int, report: EvalReport) -> str:
    return (f"| {label} | {tools} | {report.tool_accuracy:.1%} ({report.tools_correct}/{report.cases}) | "
            f"{report.mean_latency_ms:.0f} | {report.p95_latency_ms:.0f} | {report.errors} |")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=0, help="only the first N cases (default: all)")
    parser.add_argument("--config", type=Path, default=HERE / "data" / "eval.toml")
    parser.add_argument("--model", default=None, help="model (default: the config's llm.model)")
    parser.add_argument("--planner", choices=("guided", "bare"), default="guided")
    args = parser.parse_args(argv)

    from chatops.bot.agent.guided import GuidedPlanner
    from chatops.bot.agent.planner import ModelPlanner
    from chatops.bot.llm.embedded import EmbeddedModelServer
    from chatops.bot.llm.models import build_model

    config = with_model(load_config(args.config), args.model)
    cases = load_cases(HERE / "data" / "plans.jsonl")
    cases = cases[: args.cases] if args.cases else cases
    base, problems = offered_tools(config)
    if problems:
        print("config problems:", problems)
    llm = config.llm
    embedded = None
    try:
        if llm.provider == "local":
            embedded = EmbeddedModelServer(llm.local)
            await asyncio.to_thread(embedded.start)
        model = build_model(llm, embedded_base_url=embedded.base_url if embedded else None)
        semaphore = asyncio.Semaphore(llm.max_concurrent)
        if args.planner == "guided":
            planner: Planner = GuidedPlanner(model, timeout=llm.timeout, max_tokens=llm.local.max_tokens,
                                             concurrency=semaphore)
        else:
            native = llm.provider == "local" or (llm.provider == "openai" and bool(llm.base_url))
            planner = ModelPlanner(model, native_output=native, timeout=llm.timeout, temperature=0.0,
                                   max_tokens=llm.local.max_tokens if llm.provider == "local" else None,
                                   concurrency=semaphore)
        small = base + extra_tools(10 - len(base))
        large = base + extra_tools(200 - len(base))
        results = [
            ("10 tools", len(small), await run_cases(planner, small, cases, label="10")),
            ("200 tools", len(large), await run_cases(planner, large, cases, label="200")),
            ("200 tools, filtered", len(large), await run_cases(Filtered(planner), large, cases, label="200f")),
        ]
    finally:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
    print(f"\n{args.planner} planner, model {llm.model}, {len(cases)} cases of plans.jsonl\n")
    print("| setup | tools | right tool | mean ms | p95 ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, count, report in results:
        print(row(label, count, report))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
