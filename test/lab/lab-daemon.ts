// The handle every lab router daemon (FRR, GoBGP, BIRD) extends.
import type { Lan } from "./topology.ts";

/**
 * A router daemon's handle, for Frr, Gobgp and Bird alike: the LAN to exec through,
 * the host it runs in, and its own directory of config, sockets and logs.
 */
export abstract class LabDaemon {
  readonly lan: Lan;
  readonly host: string;
  readonly dir: string;

  constructor(lan: Lan, host: string, dir: string) {
    this.lan = lan;
    this.host = host;
    this.dir = dir;
  }
}
