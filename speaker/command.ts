// `metallb-ts speaker`: one per node (a DaemonSet with hostNetwork). Answers
// ARP and NDP for the IPs this node owns, and tells the other speakers it is
// alive so that they take its IPs over within a second when it is not.
import { Command } from "commander";
import { withConnectionOptions, type ConnectionFlags } from "../cli/cluster-options.ts";
import { parseDuration, parsePort } from "../cli/flag-values.ts";
import { MetallbError } from "../core/errors.ts";

export interface SpeakerFlags extends ConnectionFlags {
  nodeName?: string;
  metricsPort: string;
  metricsHost: string;
  memberlistPort: string;
  memberlistKeyFile: string;
  heartbeatInterval: string;
  holdDown: string;
  gratuitousRefresh: string;
  interfaceScan: string;
  excludeInterfaces: string[];
  handover: string;
  heapTrimAfter: string;
  /** Parsed by commander itself, so `...flags` hands runSpeaker a number. */
  bgpListenPort: number;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function speakerCommand(): Command {
  const command = new Command("speaker")
    .description(
      "Announce assigned IPs from this node: answer ARP (IPv4) and NDP (IPv6) for the IPs this node owns, with gratuitous announcements on takeover; heartbeat with the other speakers for sub-second failover; announce Services over BGP to the BGPPeers that select this node.",
    )
    .option("--node-name <name>", "this node's name (default: $NODE_NAME)", process.env.NODE_NAME)
    .option("--metrics-port <port>", "port of /metrics, /healthz and /readyz (0: none)", "7472")
    .option("--metrics-host <address>", "address of the metrics server", "0.0.0.0")
    .option(
      "--memberlist-port <port>",
      "UDP port of the speakers' heartbeats (MetalLB's memberlist port)",
      process.env.METALLB_ML_BIND_PORT ?? "7946",
    )
    .option(
      "--memberlist-key-file <file>",
      "heartbeat key: the `secretkey` of MetalLB's `memberlist` Secret; without it heartbeats are unauthenticated (warned)",
      `${process.env.METALLB_ML_SECRET_KEY_PATH ?? "/etc/ml_secret_key"}/secretkey`,
    )
    .option(
      "--heartbeat-interval <duration>",
      "heartbeat period; a peer is dead after 3 missed",
      "100ms",
    )
    .option(
      "--hold-down <duration>",
      "how long a returning node must stay alive before it gets IPs back (no flapping)",
      "2s",
    )
    .option(
      "--gratuitous-refresh <duration>",
      "after the takeover burst, re-announce owned IPs this often (0 disables)",
      "30s",
    )
    .option("--interface-scan <duration>", "how often the node's interfaces are re-read", "10s")
    .option(
      "--exclude-interfaces <regex>",
      "interfaces never answered on (repeatable; MetalLB's announcedInterfacesToExclude)",
      collect,
      [],
    )
    .option(
      "--handover <duration>",
      "on SIGTERM, keep answering this long after telling the peers we leave, so the next owner announces first",
      "500ms",
    )
    .option(
      "--heap-trim-after <duration>",
      "after cluster changes have been quiet this long, compact the heap and give its free pages back to the OS (at most once a minute; 0 disables)",
      "10s",
    )
    .option(
      "--bgp-listen-port <port>",
      "also accept connections from the BGP peers on this TCP port, e.g. 179 (0: off; MetalLB never listens)",
      (value: string) => parsePort(value, "--bgp-listen-port"),
      0,
    );
  return withConnectionOptions(command, "namespace holding the metallb.io configuration").action(
    async (flags: SpeakerFlags) => {
      const node = flags.nodeName ?? "";
      if (node === "") {
        throw new MetallbError("INVALID_FLAG", "--node-name is required (or set NODE_NAME)");
      }
      const { runSpeaker } = await import("./run-speaker.ts");
      await runSpeaker({
        ...flags,
        node,
        metricsPortNumber: parsePort(flags.metricsPort, "--metrics-port"),
        livenessPort: parsePort(flags.memberlistPort, "--memberlist-port"),
        heartbeatMs: parseDuration(flags.heartbeatInterval),
        holdDownMs: parseDuration(flags.holdDown),
        gratuitousRefreshMs: parseDuration(flags.gratuitousRefresh),
        interfaceScanMs: parseDuration(flags.interfaceScan),
        handoverMs: parseDuration(flags.handover),
        heapTrimQuietMs: parseDuration(flags.heapTrimAfter),
        exclude: flags.excludeInterfaces.map((re) => new RegExp(re)),
      });
    },
  );
}
