// ServiceAccounts and least-privilege RBAC per component. Every rule carries
// the reason it exists (rendered as a comment above it); what a component
// does not do, it is not granted: the webhook cannot touch Deployments or
// Secrets, the speaker cannot write Services and reads Secrets only in
// metallb-system (the memberlist key and BGP passwords live there).
import { API_GROUP, CONFIG_KINDS, PLURALS, type MetallbKind } from "../../core/api/kind-names.ts";
import { meta, NAMES, NAMESPACE, type Component, type Manifest } from "./common.ts";

export interface Rule {
  readonly why: string;
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

const READ = ["get", "list", "watch"];

function plural(...kinds: readonly MetallbKind[]): string[] {
  return kinds.map((k) => PLURALS[k]);
}

function roleManifest(
  kind: "Role" | "ClusterRole",
  name: string,
  component: Component,
  rules: readonly Rule[],
): Manifest {
  return {
    object: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind,
      metadata: meta(name, component, kind === "Role"),
      rules: rules.map(({ why: _why, ...rule }) => rule),
    },
    why: rules.map((r) => r.why),
  };
}

function binding(
  kind: "RoleBinding" | "ClusterRoleBinding",
  name: string,
  component: Component,
  serviceAccount: string,
): Manifest {
  return {
    object: {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind,
      metadata: meta(name, component, kind === "RoleBinding"),
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: kind === "RoleBinding" ? "Role" : "ClusterRole",
        name,
      },
      subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace: NAMESPACE }],
    },
  };
}

function serviceAccount(name: string, component: Component): Manifest {
  return { object: { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(name, component) } };
}

export interface ComponentRbac {
  readonly serviceAccount: string;
  /** Cluster-wide rules (objects in every namespace, or cluster-scoped ones). */
  readonly cluster: readonly Rule[];
  /** Rules in metallb-system only. */
  readonly namespaced: readonly Rule[];
}

export const SERVICE_ACCOUNTS: Record<Component, string> = {
  webhook: "metallb-webhook",
  controller: "controller",
  speaker: "speaker",
};

const EVENTS: Rule = {
  why: "Events on Services (IP assigned, pool exhausted, announcing) in the Service's namespace; core/kube/event-recorder.ts.",
  apiGroups: [""],
  resources: ["events"],
  verbs: ["create"],
};

const NAMESPACES: Rule = {
  why: "IPAddressPool spec.serviceAllocation.namespaceSelectors match namespace labels (core/kube/allocation-view.ts).",
  apiGroups: [""],
  resources: ["namespaces"],
  verbs: ["list", "watch"],
};

const SERVICE_CIDR: Rule = {
  why: "The cluster's Service IP families, read once at start from the default ServiceCIDR (webhook/cluster-families.ts).",
  apiGroups: ["networking.k8s.io"],
  resources: ["servicecidrs"],
  verbs: ["get"],
  resourceNames: ["kubernetes"],
};

export const RBAC: Record<Component, ComponentRbac> = {
  webhook: {
    serviceAccount: SERVICE_ACCOUNTS.webhook,
    cluster: [EVENTS, NAMESPACES, SERVICE_CIDR],
    namespaced: [
      {
        why: "Validation judges each object against the whole configuration (webhook/config-source.ts); assignment watches pools and advertisements.",
        apiGroups: [API_GROUP],
        resources: plural(...CONFIG_KINDS),
        verbs: READ,
      },
      {
        why: "Assignment at Service admission claims an IP (create), adds or drops holders (update) and frees it (delete); core/kube/claim-writer.ts.",
        apiGroups: [API_GROUP],
        resources: plural("IPAddressClaim"),
        verbs: [...READ, "create", "update", "delete"],
      },
    ],
  },
  controller: {
    serviceAccount: SERVICE_ACCOUNTS.controller,
    cluster: [
      {
        why: "Every LoadBalancer Service in every namespace is reconciled (reconciler/reconciler.ts).",
        apiGroups: [""],
        resources: ["services"],
        verbs: READ,
      },
      {
        why: "Publishes the assigned IPs in status.loadBalancer (a merge patch of the status subresource only).",
        apiGroups: [""],
        resources: ["services/status"],
        verbs: ["patch"],
      },
      EVENTS,
      NAMESPACES,
      SERVICE_CIDR,
    ],
    namespaced: [
      {
        why: "The configuration the allocator needs: pools and the advertisements that say where they are announced.",
        apiGroups: [API_GROUP],
        resources: plural("IPAddressPool", "L2Advertisement", "BGPAdvertisement"),
        verbs: READ,
      },
      {
        why: "IPAddressPool status (assigned and available counts); reconciler/pool-status.ts.",
        apiGroups: [API_GROUP],
        resources: [`${PLURALS.IPAddressPool}/status`],
        verbs: ["patch"],
      },
      {
        why: "Assigns Services that arrived without an IP, releases and collects orphaned claims.",
        apiGroups: [API_GROUP],
        resources: plural("IPAddressClaim"),
        verbs: [...READ, "create", "update", "delete"],
      },
      {
        why: "Leader election: creating the Lease cannot be limited by name (RBAC has no name on create).",
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        verbs: ["create"],
      },
      {
        why: "Leader election: read and renew only its own Lease (reconciler/leader-election.ts).",
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        verbs: ["get", "update"],
        resourceNames: [NAMES.controllerLease],
      },
      {
        why: "Creates the memberlist Secret (key `secretkey`) the speakers share when it is absent, as MetalLB's controller does; create cannot be limited by name.",
        apiGroups: [""],
        resources: ["secrets"],
        verbs: ["create"],
      },
      {
        why: "Checks only the memberlist Secret, no other.",
        apiGroups: [""],
        resources: ["secrets"],
        verbs: ["get"],
        resourceNames: [NAMES.memberlistSecret],
      },
    ],
  },
  speaker: {
    serviceAccount: SERVICE_ACCOUNTS.speaker,
    cluster: [
      {
        why: "Which LoadBalancer Services to announce; read only: the speaker never writes a Service.",
        apiGroups: [""],
        resources: ["services"],
        verbs: READ,
      },
      {
        why: "externalTrafficPolicy Local: announce only from nodes with a ready endpoint.",
        apiGroups: ["discovery.k8s.io"],
        resources: ["endpointslices"],
        verbs: READ,
      },
      {
        why: "Node labels (advertisement nodeSelectors) and node readiness for the Layer 2 leader choice.",
        apiGroups: [""],
        resources: ["nodes"],
        verbs: READ,
      },
      EVENTS,
    ],
    namespaced: [
      {
        why: "The announcement configuration: pools, advertisements, BGP peers, communities, BFD profiles.",
        apiGroups: [API_GROUP],
        resources: plural(...CONFIG_KINDS),
        verbs: READ,
      },
      {
        why: "The BGP password Secrets BGPPeers name (spec.passwordSecret); only in metallb-system, no other namespace. (The memberlist key is a mounted volume.)",
        apiGroups: [""],
        resources: ["secrets"],
        verbs: READ,
      },
      {
        why: "Reports what this node announces (ServiceL2Status, ServiceBGPStatus), and removes the report when it stops.",
        apiGroups: [API_GROUP],
        resources: plural("ServiceL2Status", "ServiceBGPStatus"),
        verbs: [...READ, "create", "update", "patch", "delete"],
      },
      {
        why: "The status subresource of the same reports.",
        apiGroups: [API_GROUP],
        resources: plural("ServiceL2Status", "ServiceBGPStatus").map((p) => `${p}/status`),
        verbs: ["get", "update", "patch"],
      },
    ],
  },
};

/** ServiceAccount, ClusterRole(+Binding) and Role(+Binding) of one component. */
export function componentRbac(component: Component): Manifest[] {
  const rbac = RBAC[component];
  const clusterName = `${NAMESPACE}:${component}`;
  return [
    serviceAccount(rbac.serviceAccount, component),
    roleManifest("ClusterRole", clusterName, component, rbac.cluster),
    binding("ClusterRoleBinding", clusterName, component, rbac.serviceAccount),
    roleManifest("Role", component, component, rbac.namespaced),
    binding("RoleBinding", component, component, rbac.serviceAccount),
  ];
}

/** Self-managed TLS only: the webhook's own Secret and the three objects whose caBundle it sets. */
export const SELF_MANAGED_RBAC: ComponentRbac = {
  serviceAccount: SERVICE_ACCOUNTS.webhook,
  cluster: [
    {
      why: "Sets clientConfig.caBundle on our two webhook configurations, by name, nothing else.",
      apiGroups: ["admissionregistration.k8s.io"],
      resources: ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"],
      verbs: ["get", "patch"],
      resourceNames: ["metallb-webhook-configuration", "metallb-ts-service-assignment"],
    },
    {
      why: "Sets the caBundle of the BGPPeer conversion webhook (v1beta1 <-> v1beta2).",
      apiGroups: ["apiextensions.k8s.io"],
      resources: ["customresourcedefinitions"],
      verbs: ["get", "patch"],
      resourceNames: [`${PLURALS.BGPPeer}.${API_GROUP}`],
    },
  ],
  namespaced: [
    {
      why: "Creates its CA + serving certificate Secret on first start; create cannot be limited by name.",
      apiGroups: [""],
      resources: ["secrets"],
      verbs: ["create"],
    },
    {
      why: "Reads and renews only that Secret (webhook/self-managed-tls.ts).",
      apiGroups: [""],
      resources: ["secrets"],
      verbs: ["get", "update"],
      resourceNames: [NAMES.webhookSecret],
    },
  ],
};

export function selfManagedTlsRbac(): Manifest[] {
  const name = "webhook-self-managed-tls";
  const clusterName = `${NAMESPACE}:${name}`;
  const sa = SELF_MANAGED_RBAC.serviceAccount;
  return [
    roleManifest("ClusterRole", clusterName, "webhook", SELF_MANAGED_RBAC.cluster),
    binding("ClusterRoleBinding", clusterName, "webhook", sa),
    roleManifest("Role", name, "webhook", SELF_MANAGED_RBAC.namespaced),
    binding("RoleBinding", name, "webhook", sa),
  ];
}
