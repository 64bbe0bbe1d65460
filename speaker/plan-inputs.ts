// The cluster view's Services and endpoints as node-eligibility.ts reads
// them; shared by the Layer 2 and BGP planners.
import type { EndpointView, ServiceView } from "./cluster-view.ts";
import type { EndpointInfo, ServiceInfo } from "./node-eligibility.ts";

export function serviceInfo(svc: ServiceView): ServiceInfo {
  return {
    labels: svc.labels,
    ips: svc.ips,
    pool: svc.pool,
    externalTrafficPolicy: svc.externalTrafficPolicyLocal ? "Local" : "Cluster",
  };
}

export function endpointInfos(view: EndpointView | undefined): EndpointInfo[] {
  if (view === undefined || !view.anyServing) return [];
  const endpoints: EndpointInfo[] = [...view.nodes].map((nodeName) => ({
    nodeName,
    serving: true,
  }));
  // Serving endpoints without a node still make the Service servable (Cluster policy).
  if (endpoints.length === 0) endpoints.push({ serving: true });
  return endpoints;
}
