// What the speaker needs to know about an interface before announcing on it,
// also when it has no address (os.networkInterfaces() lists only interfaces
// with one): index, MAC, MTU, and whether it is up, loopback, or a bond
// member (IFF_SLAVE) — the speaker never answers on a bond's members.
import { MetallbError } from "../../core/errors.ts";
import { linkAddon, linkError, type NativeInterfaceInfo } from "./link-addon.ts";

export type InterfaceInfo = NativeInterfaceInfo;

/** Throws MetallbError LINK_INTERFACE_FAILED (cause errno ENODEV for an unknown name). */
export function interfaceInfo(ifname: string): InterfaceInfo {
  try {
    return linkAddon().interfaceInfo(ifname);
  } catch (e: unknown) {
    if (e instanceof MetallbError) throw e;
    throw linkError("LINK_INTERFACE_FAILED", `cannot read interface ${ifname}`, e);
  }
}
