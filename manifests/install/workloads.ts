// The three components' workloads and Services. One image; the first
// argument picks the component.
import {
  CERT_DIR,
  IMAGE,
  labels,
  meta,
  NAMES,
  NAMESPACE,
  selector,
  type Component,
  type Json,
  type Manifest,
} from "./common.ts";
import { SERVICE_ACCOUNTS } from "./rbac.ts";
import { CONTROLLER_V8_OPTIONS, NODE_PROCESS_ENV, SPEAKER_V8_OPTIONS } from "./runtime.ts";

export const WEBHOOK_PORT = 9443;
export const METRICS_PORT = 7472;
export const MEMBERLIST_PORT = 7946;

/** No privileges at all: the webhook and the controller only talk HTTPS. */
const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/** 65532: the conventional "nonroot" user of distroless images; no file in the image belongs to it. */
const NON_ROOT_POD = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  seccompProfile: { type: "RuntimeDefault" },
};

function probe(path: string, port: number, scheme: "HTTP" | "HTTPS"): Json {
  return { httpGet: { path, port, scheme }, periodSeconds: 10, failureThreshold: 3 };
}

const RESOURCES = {
  requests: { cpu: "50m", memory: "96Mi" },
  limits: { memory: "512Mi" },
};

function envList(env: Readonly<Record<string, string>>): Json[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

function podTemplate(component: Component, spec: Json): Json {
  return {
    metadata: { labels: labels(component) },
    spec: {
      serviceAccountName: SERVICE_ACCOUNTS[component],
      nodeSelector: { "kubernetes.io/os": "linux" },
      ...spec,
    },
  };
}

function webhookDeployment(): Json {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta("metallb-webhook", "webhook"),
    spec: {
      // Two: the API server calls the webhook on every metallb.io write; one pod's restart must not block them.
      replicas: 2,
      selector: { matchLabels: selector("webhook") },
      template: podTemplate("webhook", {
        securityContext: NON_ROOT_POD,
        // Replicas on different nodes where there are several.
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 100,
                podAffinityTerm: {
                  topologyKey: "kubernetes.io/hostname",
                  labelSelector: { matchLabels: selector("webhook") },
                },
              },
            ],
          },
        },
        containers: [
          {
            name: "webhook",
            image: IMAGE,
            args: webhookArgs(false),
            ports: [{ name: "webhook", containerPort: WEBHOOK_PORT, protocol: "TCP" }],
            // The HTTPS server starts only once the serving certificate is loaded
            // (webhook/server.ts), so /readyz answering is the TLS readiness gate.
            readinessProbe: probe("/readyz", WEBHOOK_PORT, "HTTPS"),
            livenessProbe: { ...probe("/healthz", WEBHOOK_PORT, "HTTPS"), initialDelaySeconds: 30 },
            resources: RESOURCES,
            securityContext: RESTRICTED_CONTAINER,
          },
        ],
        terminationGracePeriodSeconds: 10,
      }),
    },
  };
}

export function webhookArgs(selfManagedTls: boolean): string[] {
  return [
    "webhook",
    `--namespace=${NAMESPACE}`,
    `--port=${WEBHOOK_PORT}`,
    `--tls-cert=${CERT_DIR}/tls.crt`,
    `--tls-key=${CERT_DIR}/tls.key`,
    ...(selfManagedTls ? ["--self-managed-tls", `--tls-secret=${NAMES.webhookSecret}`] : []),
    "--log-level=info",
  ];
}

function controllerDeployment(): Json {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta("controller", "controller"),
    spec: {
      // One active replica at a time (Lease); a second only shortens failover.
      replicas: 1,
      selector: { matchLabels: selector("controller") },
      template: podTemplate("controller", {
        securityContext: NON_ROOT_POD,
        containers: [
          {
            name: "controller",
            image: IMAGE,
            args: [
              "reconciler",
              `--namespace=${NAMESPACE}`,
              `--metrics-port=${METRICS_PORT}`,
              `--lease-name=${NAMES.controllerLease}`,
              "--log-level=info",
            ],
            // Heap sizing and malloc arenas the reconciler bench measured (runtime.ts).
            env: [
              { name: "NODE_OPTIONS", value: CONTROLLER_V8_OPTIONS.join(" ") },
              ...envList(NODE_PROCESS_ENV),
            ],
            ports: [{ name: "monitoring", containerPort: METRICS_PORT, protocol: "TCP" }],
            readinessProbe: probe("/readyz", METRICS_PORT, "HTTP"),
            livenessProbe: { ...probe("/healthz", METRICS_PORT, "HTTP"), initialDelaySeconds: 30 },
            resources: RESOURCES,
            securityContext: RESTRICTED_CONTAINER,
          },
        ],
        terminationGracePeriodSeconds: 10,
      }),
    },
  };
}

function speakerDaemonSet(): Json {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: meta("speaker", "speaker"),
    spec: {
      selector: { matchLabels: selector("speaker") },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: podTemplate("speaker", {
        // ARP/NDP and BGP happen on the node's own interfaces.
        hostNetwork: true,
        // Runs as root with one capability, as MetalLB's speaker: a non-root
        // process gets an added capability only as an ambient capability,
        // which Kubernetes cannot grant, or from file capabilities, which
        // allowPrivilegeEscalation: false (no_new_privs) disables.
        securityContext: {
          runAsUser: 0,
          runAsNonRoot: false,
          seccompProfile: { type: "RuntimeDefault" },
        },
        // Control-plane nodes can be the ones that answer for an IP too.
        tolerations: [
          {
            key: "node-role.kubernetes.io/control-plane",
            operator: "Exists",
            effect: "NoSchedule",
          },
          { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" },
        ],
        containers: [
          {
            name: "speaker",
            image: IMAGE,
            args: [
              "speaker",
              "--node-name=$(NODE_NAME)",
              `--namespace=${NAMESPACE}`,
              `--metrics-port=${METRICS_PORT}`,
              `--memberlist-port=${MEMBERLIST_PORT}`,
              "--log-level=info",
            ],
            env: [
              { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
              // ServiceL2Status/ServiceBGPStatus objects are owned by the speaker Pod (MetalLB §1.7).
              { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "POD_UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
              // Heap sizing and malloc arenas for the memory target (runtime.ts).
              { name: "NODE_OPTIONS", value: SPEAKER_V8_OPTIONS.join(" ") },
              ...envList(NODE_PROCESS_ENV),
            ],
            ports: [
              { name: "monitoring", containerPort: METRICS_PORT, protocol: "TCP" },
              // Heartbeats are UDP only (ADR 0006); MetalLB's memberlist also used TCP.
              { name: "memberlist-udp", containerPort: MEMBERLIST_PORT, protocol: "UDP" },
            ],
            // The heartbeat key, where MetalLB mounts it (--memberlist-key-file default).
            volumeMounts: [{ name: "memberlist", mountPath: "/etc/ml_secret_key", readOnly: true }],
            readinessProbe: probe("/readyz", METRICS_PORT, "HTTP"),
            livenessProbe: { ...probe("/healthz", METRICS_PORT, "HTTP"), initialDelaySeconds: 30 },
            resources: RESOURCES,
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              // NET_RAW: ARP replies and gratuitous ARP on AF_PACKET sockets,
              // NDP advertisements on raw ICMPv6 sockets. Nothing else: BGP
              // dials out to port 179 (binding it would need NET_BIND_SERVICE),
              // TCP_MD5SIG and joining multicast groups need no capability.
              capabilities: { drop: ["ALL"], add: ["NET_RAW"] },
            },
          },
        ],
        volumes: [
          {
            name: "memberlist",
            secret: { secretName: NAMES.memberlistSecret, defaultMode: 0o444 },
          },
        ],
        // A stopped speaker must stop answering ARP quickly so another node takes over.
        terminationGracePeriodSeconds: 2,
      }),
    },
  };
}

function service(name: string, component: Component, spec: Json): Json {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(name, component),
    spec: { selector: selector(component), ...spec },
  };
}

export function webhookManifests(): Manifest[] {
  return [
    { object: webhookDeployment() },
    {
      object: {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: meta("metallb-webhook", "webhook"),
        spec: { minAvailable: 1, selector: { matchLabels: selector("webhook") } },
      },
    },
    {
      // MetalLB's Service name: the API server, the conversion webhook and the certificate name it.
      object: service(NAMES.webhookService, "webhook", {
        ports: [{ name: "webhook", port: 443, targetPort: "webhook", protocol: "TCP" }],
      }),
    },
  ];
}

export function controllerManifests(): Manifest[] {
  return [
    { object: controllerDeployment() },
    {
      object: service("metallb-controller-metrics", "controller", {
        ports: [{ name: "monitoring", port: METRICS_PORT, targetPort: "monitoring" }],
      }),
    },
  ];
}

export function speakerManifests(): Manifest[] {
  return [
    { object: speakerDaemonSet() },
    {
      // Headless: Prometheus scrapes every speaker, not one behind a virtual IP.
      object: service("metallb-speaker-metrics", "speaker", {
        clusterIP: "None",
        ports: [{ name: "monitoring", port: METRICS_PORT, targetPort: "monitoring" }],
      }),
    },
  ];
}
