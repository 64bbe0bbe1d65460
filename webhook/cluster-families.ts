// The cluster's Service IP families, primary first. At CREATE admission a
// Service's ipFamilies are not yet defaulted, so the webhook must know what
// the API server will pick: the families of the default ServiceCIDR
// ("kubernetes", networking.k8s.io/v1, GA since Kubernetes 1.33).
import type { V1ServiceCIDR } from "@kubernetes/client-node";
import { errorText } from "../core/errors.ts";
import type { ApiClient } from "../core/kube/api-client.ts";
import type { Logger } from "../core/logger.ts";
import { parseCidr } from "../core/net/ip-blocks.ts";
import type { IpFamily } from "../core/net/ip-address-text.ts";

export async function discoverClusterFamilies(
  api: ApiClient,
  log: Logger,
): Promise<IpFamily[] | undefined> {
  try {
    const cidr = await api.call<V1ServiceCIDR>(
      "GET",
      "/apis/networking.k8s.io/v1/servicecidrs/kubernetes",
    );
    const families = (cidr.spec?.cidrs ?? []).flatMap((text) => {
      const parsed = parseCidr(text);
      return parsed.ok ? [parsed.cidr.family] : [];
    });
    return families.length > 0 ? families : undefined;
  } catch (e: unknown) {
    log.warn({ err: errorText(e) }, "no default ServiceCIDR; use --service-ip-families");
    return undefined;
  }
}

export function parseFamilies(text: string): IpFamily[] {
  return text
    .split(",")
    .map((f) => f.trim())
    .filter((f): f is IpFamily => f === "IPv4" || f === "IPv6");
}
