// The speaker's link layer: ARP and NDP sockets on one interface, interface
// facts, and BGP's TCP sockets with MD5 and TTL (speaker/native's addon).
export { ADDON_PATH, errnoCode, type LinkErrorHandler } from "./link-addon.ts";
export { interfaceInfo, type InterfaceInfo } from "./interface-info.ts";
export {
  Icmp6Socket,
  openIcmp6Socket,
  type Icmp6MessageHandler,
  type Icmp6MessageInfo,
} from "./icmp6-socket.ts";
export {
  PacketSocket,
  openPacketSocket,
  type FramesHandler,
  type ReceivedFrame,
} from "./packet-socket.ts";
export {
  getSocketTtl,
  setSocketTtl,
  setTcpMd5,
  tcpConnect,
  tcpConnectFd,
  tcpListen,
  tcpListenFd,
  type TcpConnectOptions,
  type TcpListenOptions,
} from "./tcp.ts";
